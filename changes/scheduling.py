"""What scheduling a change must respect beyond its own fields: the hook the change calendar
fills (blackout windows: a refusal with its reason unless the change is an emergency).

`schedule_checks(change)` is asked by the workflow's guard on "scheduled"; it returns the
refusals (sentences to show), empty when the change may be scheduled.
"""

from typing import Any


def schedule_checks(change: Any) -> list[str]:
    """The reasons `change` may not be scheduled in its planned window (none yet)."""
    return []
