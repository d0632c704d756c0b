"""Is a configuration item in maintenance at a moment? The change calendar's answer, which event
management asks before it opens an incident from an alert (settings.EVENTS_MAINTENANCE_HOOK,
docs/events.md): an alert on a CI being worked on is expected, not an incident.

A CI is in maintenance at `at` when a change that is scheduled or being implemented names it
among its affected CIs and its planned window holds `at`, or when an active maintenance window
of the CI's own service holds `at`.
"""

from datetime import datetime

from changes.choices import ChangeStatus
from changes.models import Change, MaintenanceWindow

WORKING_STATUSES = (ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING)


def ci_in_maintenance(*, ci, at: datetime) -> bool:
    in_a_change = Change.objects.filter(
        configuration_items=ci,
        status__in=WORKING_STATUSES,
        planned_start__lte=at,
        planned_end__gt=at,
    ).exists()
    if in_a_change:
        return True
    if ci.service_id is None:
        return False
    return MaintenanceWindow.objects.filter(
        service_id=ci.service_id, is_active=True, starts_at__lte=at, ends_at__gt=at
    ).exists()


def ci_in_maintenance_many(*, cis, at: datetime) -> set[int]:
    """`ci_in_maintenance` for several CIs at once (two queries): the ids of those in
    maintenance at `at`."""
    ids = {ci.pk for ci in cis}
    found = set(
        Change.configuration_items.through.objects.filter(
            configurationitem_id__in=ids,
            change__status__in=WORKING_STATUSES,
            change__planned_start__lte=at,
            change__planned_end__gt=at,
        ).values_list("configurationitem_id", flat=True)
    )
    services = {ci.service_id for ci in cis if ci.service_id is not None and ci.pk not in found}
    if services:
        open_services = set(
            MaintenanceWindow.objects.filter(
                service_id__in=services, is_active=True, starts_at__lte=at, ends_at__gt=at
            ).values_list("service_id", flat=True)
        )
        found |= {ci.pk for ci in cis if ci.service_id in open_services}
    return found
