"""Is a CI in maintenance at a moment? The hook event management asks before it opens an
incident (an alert on a CI in maintenance is silenced).

Setting `EVENTS_MAINTENANCE_HOOK` names a function `f(*, ci, at) -> bool` by dotted path; the
default, `changes.maintenance.ci_in_maintenance`, reads the change calendar (changes being
implemented, services' maintenance windows); `never_in_maintenance` answers no (docs/events.md,
"Maintenance windows").
"""

from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string


def never_in_maintenance(*, ci, at: datetime) -> bool:
    return False


def ci_in_maintenance(*, ci, at: datetime) -> bool:
    """True when the configured hook says `ci` is in a maintenance window at `at`."""
    if ci is None:
        return False
    hook = import_string(settings.EVENTS_MAINTENANCE_HOOK)
    return bool(hook(ci=ci, at=at))
