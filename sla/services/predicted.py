"""Escalation rules on a predicted probability of breach.

The sweep fires rules at moments it can compute (a share of the target, an offset from the due
time). A rule with a `probability` has no such moment: whatever scores the open timers (the
breach prediction, docs/prediction.md) hands the scores here, and each rule fires once per timer
whose score reaches it, with the sweep's firing rows, timeline events and actions.
"""

import logging
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from sla import actions as actions_
from sla.models import EscalationRule, SlaTimer, TimerState
from sla.services.clock import _applies
from sla.services.sweeping import (
    ESCALATED,
    RecordBusy,
    _Batch,
    _fired_rules,
    _lock_record_or_skip,
    _records_of,
)

logger = logging.getLogger("sla.services")


def predicted_rules() -> list[EscalationRule]:
    """The active rules that fire on a predicted probability."""
    rules = EscalationRule.objects.filter(is_active=True, probability__isnull=False)
    return list(rules.select_related("support_group"))


def escalate_predicted(
    *, probabilities: Mapping[int, float], now: datetime | None = None, batch_size: int = 500
) -> int:
    """Fire the predicted-probability rules for the running timers whose probability of breach
    (0 to 1, keyed by timer id) reaches the rule's. Returns the number of firings.

    Each firing is a row unique on (timer, rule), as in the sweep: a rule fires once per timer,
    whatever the number of scorings. Timers are taken with SKIP LOCKED in primary-key order, and
    a record another service holds is left for the next scoring (RecordBusy), as the sweep does.
    Runs as the system actor (the batch's timeline events and the record actions).
    """
    now = now or timezone.now()
    rules = predicted_rules()
    if not rules or not probabilities:
        return 0
    lowest = min(rule.probability or 0 for rule in rules) / 100
    candidates = sorted(pk for pk, p in probabilities.items() if p >= lowest)
    total = 0
    for start in range(0, len(candidates), batch_size):
        chunk = candidates[start : start + batch_size]
        with transaction.atomic():
            timers = list(
                SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=chunk, state=TimerState.RUNNING)
                .select_related("target__calendar", "policy", "content_type")
                .order_by("pk")
            )
            records = _records_of(timers)
            fired = _fired_rules(timers)
            batch = _Batch()
            for timer in timers:
                record = records.get((timer.content_type_id, timer.object_id))
                due = [
                    rule
                    for rule in rules
                    if _applies(rule, timer)
                    and rule.pk not in fired[timer.pk]
                    and probabilities[timer.pk] * 100 >= (rule.probability or 0)
                ]
                if record is None or not due:
                    continue
                total += _fire(timer, record, due, now, batch)
            batch.write([])
    return total


def _fire(timer: SlaTimer, record, rules: list[EscalationRule], now: datetime, batch) -> int:
    mark = batch.mark()
    try:
        with transaction.atomic():
            for rule in rules:
                batch.fire(timer, rule, now)
                batch.event(
                    timer,
                    new_text=f"{rule.name}"[:255],
                    note=batch.text(ESCALATED, metric=timer.metric, action=rule.action),
                )
                if rule.action in actions_.RECORD_ACTIONS:
                    _lock_record_or_skip(record)
                actions_.run(record, timer, rule, batch.outbox)
    except RecordBusy:
        logger.info("SLA timer %s: its record is being changed, escalated next time", timer.pk)
        batch.undo(mark)
        return 0
    except Exception:  # noqa: BLE001
        logger.exception("SLA timer %s: predicted escalation failed, retried next time", timer.pk)
        batch.undo(mark)
        return 0
    return len(rules)
