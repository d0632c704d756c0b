"""SLA definitions for tests: calendars, policies and rules of the test's own.

The migrations seed default policies and rules; `switch_off_defaults()` deactivates them so that
a test's expectations follow only from what it builds. Incidents still come from
`tests.incidents.factories` (through the services, so their timers start as in production).
"""

from datetime import UTC, date, datetime, time

from django.contrib.contenttypes.models import ContentType

from incidents.models import Incident
from servicedesk import memo
from sla import services
from sla.models import (
    Calendar,
    EscalationRule,
    Holiday,
    Metric,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)

# One week of March 2025 (UTC): Monday 3rd to Sunday 9th, then Monday 10th.
MONDAY = date(2025, 3, 3)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """at(3, 10) is Monday 3 March 2025 10:00 UTC; day is the day of March."""
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


def switch_off_defaults() -> None:
    SlaPolicy.objects.update(is_active=False)
    EscalationRule.objects.update(is_active=False)
    memo.retire()  # bulk writes send no signal
    services._CALENDARS.clear()  # primary keys come back after a rolled-back test on SQLite


def calendar_5x9(name="Desk 5x9", *, time_zone="UTC", holidays=(), **fields) -> Calendar:
    """Monday to Friday, 09:00-18:00 local time."""
    calendar = Calendar.objects.create(name=name, time_zone=time_zone, **fields)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=time(9), end=time(18))
        for day in range(5)
    )
    for holiday in holidays:
        Holiday.objects.create(calendar=calendar, date=holiday, name="Holiday")
    return calendar


def policy(
    name="Standard",
    *,
    calendar,
    first_response=60,
    resolution=480,
    update=None,
    precedence=100,
    pause_on=("customer",),
    **conditions,
) -> SlaPolicy:
    """An incident SLA with a first-response, a resolution and optionally an update-interval
    target (minutes; None: none)."""
    created = SlaPolicy.objects.create(
        name=name, precedence=precedence, pause_on=list(pause_on), **conditions
    )
    for metric, minutes in (
        (Metric.FIRST_RESPONSE, first_response),
        (Metric.RESOLUTION, resolution),
        (Metric.UPDATE, update),
    ):
        if minutes:
            SlaTarget.objects.create(
                policy=created, metric=metric, minutes=minutes, calendar=calendar
            )
    return created


def rule(name=None, *, metric=Metric.RESOLUTION, action="notify_assignee", **fields):
    """rule(percent=75) or rule(offset_minutes=-30), for every policy unless policy= is given."""
    when = fields.get("percent", fields.get("offset_minutes"))
    return EscalationRule.objects.create(
        name=name or f"{metric} {action} at {when}", metric=metric, action=action, **fields
    )


def timers(record, metric=None):
    """The record's timers (newest last), optionally of one metric."""
    found = SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk
    ).order_by("pk")
    if metric is not None:
        found = found.filter(metric=metric)
    return list(found)


def timer(record, metric) -> SlaTimer:
    """The record's one timer of `metric` (fails if there is not exactly one)."""
    (found,) = timers(record, metric)
    return found


def log(desk, clock, when, **fields) -> Incident:
    """An incident the desk's agent logs at `when` for the requester, assigned to the agent."""
    from tests.incidents.factories import incident

    clock.move_to(when)
    fields.setdefault("support_group", desk.group)
    fields.setdefault("assignee", desk.agent)
    fields.setdefault("requester", desk.requester)
    return incident(actor=desk.agent, **fields)


def reply(record, actor) -> None:
    """A public reply on an incident (the agent's counts as the response)."""
    from django.db import transaction

    from incidents import services as incident_services
    from servicedesk.models import Visibility

    with transaction.atomic():
        incident_services.incident_comment(
            incident_id=record.pk, actor=actor, body="<p>On it.</p>", visibility=Visibility.PUBLIC
        )
