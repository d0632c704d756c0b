"""Clock arithmetic: the business time a timer has run, when it is due, and when each
escalation rule's threshold is reached."""

from datetime import datetime, timedelta
from typing import cast

from sla.models import (
    EscalationRule,
    SlaTimer,
    TimerState,
)
from sla.services.policies import business_calendar

# --- Clock arithmetic ---------------------------------------------------------------------------


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def spent_seconds(timer: SlaTimer, now: datetime) -> float:
    """Business seconds the clock has run: from the start to now (or the stop), minus pauses."""
    calendar = business_calendar(timer.target.calendar)
    end = timer.stopped_at or now
    spent = calendar.elapsed(timer.started_at, end)
    for start, stop in timer.pauses:
        pause_end = min(_parse(stop) or end, end)
        spent -= calendar.elapsed(cast(datetime, _parse(start)), pause_end)
    return max(spent.total_seconds(), 0.0)


def _rules_for(timer: SlaTimer) -> list[EscalationRule]:
    return [rule for rule in _active_rules() if _applies(rule, timer)]


def _active_rules() -> list[EscalationRule]:
    """The rules with a threshold in time (a predicted-probability rule has none)."""
    rules = EscalationRule.objects.filter(is_active=True, probability__isnull=True)
    return list(rules.select_related("support_group"))


def schedule(timer: SlaTimer, now: datetime, rules=None, fired: set | None = None) -> None:
    """Recompute due_at and next_check_at from the clock state (no save)."""
    timer.updated_at = now
    if timer.state != TimerState.RUNNING:
        timer.next_check_at = None
        if timer.state == TimerState.PAUSED:
            timer.due_at = None
        return
    calendar = business_calendar(timer.target.calendar)
    spent = spent_seconds(timer, now)
    timer.due_at = _reached_at(timer, calendar, timer.target_seconds, spent, now)
    if fired is None:
        fired = set(timer.firings.values_list("rule_id", flat=True)) if timer.pk else set()
    moments = [] if timer.breached_at else [timer.due_at]
    for rule in rules if rules is not None else _rules_for(timer):
        if rule.pk in fired:
            continue
        moments.append(threshold(rule, timer, calendar, spent, now))
    timer.next_check_at = min(moments) if moments else None


def _reached_at(timer, calendar, seconds, spent, now) -> datetime:
    """The instant the clock reaches `seconds` of business time. Ahead: counted on from now.
    Already passed: found on the running stretches between the pauses, since counting back
    from now would count paused time as running (a new policy's shorter target, a rule's
    share passed during a pause)."""
    if seconds >= spent:
        return calendar.add(now, timedelta(seconds=seconds - spent))
    left = timedelta(seconds=seconds)
    cursor = timer.started_at
    for start, stop in timer.pauses:
        run = calendar.elapsed(cursor, _parse(start))
        if run >= left:
            break
        left -= run
        cursor = _parse(stop) or now
    return calendar.add(cursor, left)


def threshold(rule, timer, calendar, spent, now) -> datetime:
    """When `rule` fires for `timer`: a share of the target, or an offset from the due time,
    both in business time."""
    if rule.percent is not None:
        at_seconds = timer.target_seconds * rule.percent / 100
        return _reached_at(timer, calendar, at_seconds, spent, now)
    return calendar.add(timer.due_at, timedelta(minutes=rule.offset_minutes))


def _applies(rule, timer) -> bool:
    return rule.metric == timer.metric and rule.policy_id in (None, timer.policy_id)
