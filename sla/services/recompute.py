"""Recomputing the open timers when a calendar or a policy changes, and the queued recomputes."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from servicedesk import jobs
from sla.models import (
    OPEN_TIMER_STATES,
    PendingRecompute,
    SlaTimer,
)
from sla.services.clock import schedule
from sla.services.timers import _retarget, _successor, _targets_of


def recompute_open_timers(*, calendar_id=None, policy_id=None, metric=None, now=None) -> int:
    """After a calendar, a policy or a rule was edited: new targets, due times and next
    moments for the open timers concerned. Timers of a policy switched off move to the next
    matching agreement (timers re-selected, the time elapsed kept) or are cancelled when none
    applies. Returns the number recomputed; see `_recompute` for timers locked meanwhile."""
    return _recompute(calendar_id=calendar_id, policy_id=policy_id, metric=metric, now=now)[0]


def _recompute(*, calendar_id=None, policy_id=None, metric=None, now=None) -> tuple[int, int]:
    """(recomputed, skipped): a timer another transaction holds (a sweep) is skipped rather
    than waited for; the caller tries those again later."""
    now = now or timezone.now()
    timers = SlaTimer.objects.filter(state__in=OPEN_TIMER_STATES)
    if calendar_id is not None:
        timers = timers.filter(target__calendar_id=calendar_id)
    if policy_id is not None:
        timers = timers.filter(policy_id=policy_id)
    if metric:
        timers = timers.filter(metric=metric)
    count = skipped = 0
    successors: dict[tuple, dict] = {}
    for pk in timers.order_by("pk").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            timer = (
                SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("target__calendar", "policy", "content_type")
                .filter(pk=pk)
                .first()
            )
            if timer is None:
                skipped += 1
                continue
            if timer.state not in OPEN_TIMER_STATES:
                continue
            if not timer.policy.is_active:
                policy = _successor(timer)
                key = (getattr(policy, "pk", None),)
                if key not in successors:
                    successors[key] = _targets_of(policy)
                _retarget(timer, policy, successors[key], now)
            else:
                timer.target_seconds = timer.target.minutes * 60
                schedule(timer, now)
                timer.save()
            count += 1
    return count, skipped


# How long a claimed recompute may take before another worker (or the sweep) takes it over.
RECOMPUTE_CLAIM_SECONDS = 600
_RECOMPUTE_CLAIM = timedelta(seconds=RECOMPUTE_CLAIM_SECONDS)


def pending_recompute_run(*, pending_id: int, now=None) -> int | None:
    """Do one pending recompute: claim its row (a conditional UPDATE, so two workers never
    run it at once), recompute its timers, delete the row. Idempotent. Returns the timers
    recomputed, or None when someone else has it or it is done. When timers were locked by a
    sweep meanwhile, the row stays (unclaimed) for the next sweep."""
    now = now or timezone.now()
    if not jobs.claim(PendingRecompute, pk=pending_id, now=now, stale_after=_RECOMPUTE_CLAIM):
        return None
    pending = PendingRecompute.objects.get(pk=pending_id)
    count, skipped = _recompute(
        calendar_id=pending.calendar_id,
        policy_id=pending.policy_id,
        metric=pending.metric or None,
        now=now,
    )
    if skipped:
        PendingRecompute.objects.filter(pk=pending_id).update(claimed_at=None)
    else:
        PendingRecompute.objects.filter(pk=pending_id).delete()
    return count


def pending_recomputes_run(*, now=None, limit: int = 100) -> int:
    """The sweep's catch-up: every pending recompute nobody is doing (its task lost with the
    broker, or its worker gone), oldest first. Returns the timers recomputed."""
    now = now or timezone.now()
    waiting = (
        jobs.unclaimed(PendingRecompute, now=now, stale_after=_RECOMPUTE_CLAIM)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(pending_recompute_run(pending_id=pk, now=now) or 0 for pk in list(waiting))
