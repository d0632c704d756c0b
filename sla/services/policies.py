"""Which agreement applies to a record, and the business calendars its clocks run on."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from sla.calendar import BusinessCalendar
from sla.models import (
    AgreementKind,
    Calendar,
    SlaPolicy,
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


# --- Read once for a batch ------------------------------------------------------------------------

T = TypeVar("T")
_READ_ONCE: ContextVar[dict[Hashable, Any] | None] = ContextVar("sla_read_once", default=None)


@contextmanager
def agreements_read_once() -> Iterator[None]:
    """Within the block, the agreement matching given facts (`policy_for`), a policy's targets
    (`policy_targets`) and the escalation rules are read from the database once and reused:
    for a batch that opens many records in one transaction (the e-mail intake's group of
    messages), which then sees the agreements as they were when the batch began. Outside such
    a block every call reads the database, as always."""
    token = _READ_ONCE.set({})
    try:
        yield
    finally:
        _READ_ONCE.reset(token)


def read_once(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or inside `agreements_read_once` the value it gave for `key` the first time."""
    memo = _READ_ONCE.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def policy_targets(policy: SlaPolicy) -> list:
    """The policy's targets with their calendars (read once in `agreements_read_once`)."""
    return read_once(
        ("targets", policy.pk), lambda: list(policy.targets.select_related("calendar"))
    )


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
    """The active agreement of `kind` with the lowest precedence whose conditions all match
    (read once for the same facts inside `agreements_read_once`)."""
    key = ("policy", record_type, priority, service_id, organisation_id, kind, support_group_id)
    return read_once(
        key,
        lambda: _policy_for(
            record_type=record_type, priority=priority, service_id=service_id,
            organisation_id=organisation_id, kind=kind, support_group_id=support_group_id,
        ),
    )  # fmt: skip


def _policy_for(
    *, record_type: str, priority, service_id, organisation_id, kind: str, support_group_id
) -> SlaPolicy | None:
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
