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


def cis_in_maintenance(*, cis, at: datetime) -> set[int]:
    """The ids of those of `cis` in maintenance at `at`: the hook's `<name>_many(*, cis, at)`
    when its module has one (the change calendar's: two queries for all of them), else the hook
    per CI."""
    cis = [ci for ci in cis if ci is not None]
    if not cis:
        return set()
    path = settings.EVENTS_MAINTENANCE_HOOK
    try:
        many = import_string(path + "_many")
    except ImportError:
        hook = import_string(path)
        return {ci.pk for ci in cis if hook(ci=ci, at=at)}
    return set(many(cis=cis, at=at))
