"""What scheduling a change must respect beyond its own fields: blackout windows, and the
collisions the CAB and the implementers are warned of.

`schedule_checks(change)` is asked by the workflow's guard on "scheduled" (and again when a
scheduled change's window moves): the blackouts its window falls in, on everything, on a service
it names or on one its CIs reach in the CMDB, each a sentence with the blackout's reason; empty
when it may be scheduled. An emergency change is never refused: `collisions_noted` puts the
blackouts it runs into, with the other collisions, in its timeline as a work note instead.
"""

from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext as _

from changes.choices import ChangeType


def schedule_checks(change: Any) -> list[str]:
    """The reasons `change` may not be scheduled in its planned window."""
    from changes.collisions import blackouts_refusing

    if change.change_type == ChangeType.EMERGENCY:
        return []
    return blackouts_refusing(change)


def collisions_noted(change: Any, *, stage: str) -> None:
    """A work note by the system actor listing what the change collides with (nothing when it
    collides with nothing), in the caller's transaction: when the change goes to its
    approvers (`stage` "assessed": the CAB reads it beside their summary) and when it is
    scheduled."""
    from changes.collisions import Kind, collisions_for
    from servicedesk import services as kernel
    from servicedesk.actors import system_actor
    from servicedesk.models import Visibility

    collisions = collisions_for(change)
    if not collisions:
        return
    if stage == "scheduled" and any(c.kind == Kind.BLACKOUT for c in collisions):
        heading = _("Emergency change scheduled inside a blackout. Collisions found:")
    elif stage == "scheduled":
        heading = _("Scheduled with collisions found:")
    else:
        heading = _("For the approvers, collisions found:")
    items = "".join(f"<li>{escape(collision.summary)}</li>" for collision in collisions)
    kernel.comment_add(
        record=change,
        author=system_actor(),
        body=f"<p>{escape(heading)}</p><ul>{items}</ul>",
        visibility=Visibility.INTERNAL,
    )
