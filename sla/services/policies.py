"""Which agreement applies to a record, and the business calendars its clocks run on."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q

from servicedesk import memo
from sla.calendar import BusinessCalendar
from sla.models import (
    AgreementKind,
    Calendar,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
)

_CALENDARS: dict[tuple[int, int], BusinessCalendar] = {}


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    """The arithmetic object of a calendar, built once per calendar version in each process."""
    key = (calendar.pk, calendar.version)
    cached = _CALENDARS.get(key)
    if cached is None:
        if calendar.always_open:
            cached = BusinessCalendar.always_open(time_zone=calendar.time_zone)
        else:
            week: dict[int, list] = {}
            for hours in calendar.hours.all():
                week.setdefault(hours.weekday, []).append((hours.start, hours.end))
            extra = frozenset(calendar.holidays.values_list("date", flat=True))
            if calendar.country:
                cached = BusinessCalendar.from_country(
                    time_zone=calendar.time_zone,
                    week=week,
                    country=calendar.country,
                    extra_holidays=extra,
                )
            else:
                cached = BusinessCalendar(time_zone=calendar.time_zone, week=week, holidays=extra)
        _CALENDARS[key] = cached
    return cached


# --- Which policy -------------------------------------------------------------------------------


def policy_for(
    *,
    record_type: str,
    priority,
    service_id,
    organisation_id,
    kind: str = AgreementKind.SLA,
    support_group_id=None,
) -> SlaPolicy | None:
    """The active agreement of `kind` with the lowest precedence whose conditions all match."""
    candidates = SlaPolicy.objects.filter(record_type=record_type, kind=kind, is_active=True)
    if kind == AgreementKind.OLA:
        candidates = candidates.filter(support_group_id=support_group_id)
    candidates = (
        candidates.filter(Q(priority__isnull=True) | Q(priority=priority))
        .filter(Q(service__isnull=True) | Q(service_id=service_id))
        .filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))
        .order_by("precedence", "id")
    )
    return candidates.first()


def policy_match(
    *,
    record_type: str,
    priority,
    service_id,
    organisation_id,
    kind: str = AgreementKind.SLA,
    support_group_id=None,
) -> SlaPolicy | None:
    """`policy_for` answered from the active agreements kept in each process
    (`servicedesk.memo`), with their targets and calendars loaded (`loaded_targets`).
    The policy is shared by the process's requests: read it, do not change it."""
    for policy in memo.reference("sla:active-policies", _active_policies):
        if (
            policy.record_type == record_type
            and policy.kind == kind
            and (kind != AgreementKind.OLA or policy.support_group_id == support_group_id)
            and policy.priority in (None, priority)
            and policy.service_id in (None, service_id)
            and policy.organisation_id in (None, organisation_id)
        ):
            return policy
    return None


def loaded_targets(policy: SlaPolicy) -> list[SlaTarget]:
    """The targets, with their calendars, of a policy `policy_match` answered."""
    return policy.loaded_targets  # type: ignore[attr-defined]


def _active_policies() -> list[SlaPolicy]:
    targets = SlaTarget.objects.select_related("calendar").order_by("id")
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .order_by("precedence", "id")
        .prefetch_related(Prefetch("targets", queryset=targets, to_attr="loaded_targets"))
    )


def _facts(record) -> dict:
    return {
        "priority": record.priority,
        "service_id": getattr(record, "service_id", None),
        "organisation_id": record.organisation_id,
    }


def _timers_of(record):
    return SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    )
