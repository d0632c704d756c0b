"""SLA timers for generated history, built as the engine (`sla.services`) would have left them.

A record's life is known in advance (when it was logged, paused, answered, resolved or
cancelled), so each timer is computed once from it with the engine's own arithmetic: the due
time on the target's calendar with the pauses skipped, met or breached at the stop, and for the
clocks still running the engine's `schedule` (due time, next check) with the escalation rules
whose threshold has passed recorded as fired, as the sweep would have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sla.models import EscalationFiring, EscalationRule, SlaPolicy, SlaTarget, SlaTimer, TimerState
from sla.services import _reached_at, business_calendar, policy_for, schedule


@dataclass
class Clock:
    """How one timer of a generated record went. Pauses are [start, end or None] instants."""

    started: datetime
    pauses: list[list[datetime | None]] = field(default_factory=list)
    stopped: datetime | None = None
    cancelled: datetime | None = None


class Policies:
    """The policy (and its targets) of each combination of facts, looked up once."""

    def __init__(self, record_type: str):
        self.record_type = record_type
        self._cache: dict[tuple, SlaPolicy | None] = {}
        self._targets: dict[int, list[SlaTarget]] = {}
        self.rules = list(
            EscalationRule.objects.filter(is_active=True).select_related("support_group")
        )

    def policy(self, *, priority, service_id, organisation_id) -> SlaPolicy | None:
        key = (priority, service_id, organisation_id)
        if key not in self._cache:
            self._cache[key] = policy_for(
                record_type=self.record_type,
                priority=priority,
                service_id=service_id,
                organisation_id=organisation_id,
            )
        return self._cache[key]

    def targets(self, policy: SlaPolicy | None) -> list[SlaTarget]:
        if policy is None:
            return []
        if policy.pk not in self._targets:
            self._targets[policy.pk] = list(
                policy.targets.select_related("calendar").prefetch_related(
                    "calendar__hours", "calendar__holidays"
                )
            )
        return self._targets[policy.pk]

    def target_seconds(self, policy: SlaPolicy | None, metric: str) -> int | None:
        for target in self.targets(policy):
            if target.metric == metric:
                return target.minutes * 60
        return None

    def calendar(self, policy: SlaPolicy | None, metric: str):
        for target in self.targets(policy):
            if target.metric == metric:
                return business_calendar(target.calendar)
        return None

    def rules_for_metric(self, metric: str, policy: SlaPolicy | None) -> list:
        """The escalation rules the engine applies to a timer of this metric and policy."""
        policy_id = policy.pk if policy else None
        return [r for r in self.rules if r.metric == metric and r.policy_id in (None, policy_id)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def build_timer(
    *, content_type_id: int, object_id: int, policy, target, clock: Clock, now: datetime, rules
) -> tuple[SlaTimer, list[tuple[object, datetime]]]:
    """The timer row of `target` for this life, and the (rule, instant) escalations fired."""
    timer = SlaTimer(
        content_type_id=content_type_id,
        object_id=object_id,
        policy=policy,
        target=target,
        metric=target.metric,
        started_at=clock.started,
        target_seconds=target.minutes * 60,
        pauses=[[_iso(start), _iso(end)] for start, end in clock.pauses],
    )
    calendar = business_calendar(target.calendar)
    end = clock.stopped or clock.cancelled or now

    def reached(seconds: float) -> datetime:
        # Walked from the start over the running stretches between the pauses.
        return _reached_at(timer, calendar, seconds, math.inf, end)

    due = reached(timer.target_seconds)
    paused = bool(clock.pauses) and clock.pauses[-1][1] is None and end == now
    fired = []
    for rule in rules:
        if rule.percent is not None:
            at = reached(timer.target_seconds * rule.percent / 100)
        elif not paused:
            at = calendar.add(due, timedelta(minutes=rule.offset_minutes))
        else:
            continue
        if at <= end and at <= now:
            fired.append((rule, at))
    if clock.cancelled:
        timer.state, timer.stopped_at = TimerState.CANCELLED, clock.cancelled
        timer.due_at, timer.breached_at = due, (due if due <= clock.cancelled else None)
        timer.updated_at = clock.cancelled
    elif clock.stopped:
        late = clock.stopped > due
        timer.state = TimerState.BREACHED if late else TimerState.MET
        timer.stopped_at, timer.due_at = clock.stopped, due
        timer.breached_at = due if late else None
        timer.updated_at = clock.stopped
    elif paused:
        timer.state, timer.due_at = TimerState.PAUSED, None
        paused_at = cast(datetime, clock.pauses[-1][0])  # a pause always has its start
        timer.breached_at = due if due <= paused_at else None
        timer.updated_at = paused_at
    else:
        timer.state = TimerState.RUNNING
        schedule(timer, now, rules, {rule.pk for rule, _at in fired})
        if timer.due_at is not None and timer.due_at <= now:
            timer.breached_at = timer.due_at
            schedule(timer, now, rules, {rule.pk for rule, _at in fired})
    return timer, fired


def save_timers(built: list[tuple[SlaTimer, list]]) -> int:
    """bulk_create the timers, then their escalation firings; returns the timers' count."""
    timers = SlaTimer.objects.bulk_create([timer for timer, _fired in built], batch_size=1000)
    firings = [
        EscalationFiring(timer=timer, rule=rule, fired_at=at)
        for timer, (_same, fired) in zip(timers, built, strict=True)
        for rule, at in fired
    ]
    EscalationFiring.objects.bulk_create(firings, batch_size=1000)
    return len(timers)
