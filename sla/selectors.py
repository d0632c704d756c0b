"""Reads on SLA timers: a record's timers for its page, and the queues of what is at risk."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone

from sla.models import OPEN_TIMER_STATES, Metric, SlaTimer, TimerState

BREACHING_SOON = timedelta(hours=2)


def timers_of(record) -> QuerySet[SlaTimer]:
    return (
        SlaTimer.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
        .select_related("target__calendar", "policy", "content_type")
        .order_by("metric", "-started_at")
    )


def page_timers_of(record) -> list[SlaTimer]:
    """The timers a record's page shows: every clock, but of the update intervals (one per
    agent reply) only the newest; the earlier ones count in the reports."""
    shown, seen_update = [], False
    for timer in timers_of(record):
        if timer.metric == Metric.UPDATE:
            if seen_update:
                continue
            seen_update = True
        shown.append(timer)
    return shown


def open_timers_of(record) -> QuerySet[SlaTimer]:
    return timers_of(record).filter(state__in=OPEN_TIMER_STATES)


def breaching_soon_ids(model, *, now=None, window: timedelta = BREACHING_SOON) -> QuerySet:
    """Ids of records whose running clock falls due within `window` (index on running due_at)."""
    now = now or timezone.now()
    return SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        state=TimerState.RUNNING,
        breached_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + window,
    ).values("object_id")


def breached_ids(model) -> QuerySet:
    """Ids of records with an open clock already past its due time."""
    return SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        state__in=OPEN_TIMER_STATES,
        breached_at__isnull=False,
    ).values("object_id")


def timer_view(timer: SlaTimer, now=None) -> dict:
    """What a person reads about one timer: its target, due time, business time left, state."""
    from sla.services import spent_seconds

    now = now or timezone.now()
    spent = spent_seconds(timer, now)
    left = timer.target_seconds - spent
    if timer.state in (TimerState.MET, TimerState.BREACHED, TimerState.CANCELLED):
        tone = {"met": "ok", "breached": "bad", "cancelled": "muted"}[timer.state]
    elif timer.breached_at:
        tone = "bad"
    elif spent >= 0.75 * timer.target_seconds:
        tone = "warn"
    else:
        tone = "ok"
    return {
        "timer": timer,
        "metric": timer.get_metric_display(),
        "state": timer.get_state_display(),
        "target_minutes": timer.target_seconds // 60,
        "due_at": timer.due_at,
        "left_minutes": max(0, int(left // 60)),
        "over_minutes": max(0, int(-left // 60)),
        "percent": min(999, int(100 * spent / timer.target_seconds)),
        "tone": tone,
        "breached": timer.breached_at is not None,
        "imported_from": timer.source,
    }
