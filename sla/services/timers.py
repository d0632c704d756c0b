"""A record's timers through its life: started, stopped, paused and resumed with its status,
reset on a reopen, moved to another target on a new priority or policy."""

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from servicedesk import memo
from servicedesk.workflow import Meaning
from sla.models import (
    OPEN_TIMER_STATES,
    AgreementKind,
    Metric,
    SlaTimer,
    TimerState,
)
from sla.services.clock import _active_rules, _applies, schedule
from sla.services.policies import _facts, _timers_of, loaded_targets, policy_for, policy_match

# --- Life cycle ---------------------------------------------------------------------------------


def start_timers(record, *, record_type: str, now=None, policy=None) -> list[SlaTimer]:
    """Start the timers of the record's policy, counting from the record's creation.

    `policy` names the agreement outright (a catalogue offering's SLA policy); otherwise the
    matching one applies. The agreements, their targets and calendars and the escalation rules
    come from each process's copy (`servicedesk.memo`); the SLA timers and the owning group's
    OLA timers are written in one INSERT. Returns every timer started.
    """
    now = now or timezone.now()
    if policy is not None and policy.is_active:
        targets = list(policy.targets.select_related("calendar"))
    else:
        policy = policy_match(record_type=record_type, **_facts(record))
        targets = loaded_targets(policy) if policy is not None else []
    content_type = ContentType.objects.get_for_model(record)
    rules = memo.reference("sla:time-rules", _active_rules)
    timers = []
    for target in targets:
        timer = _new_timer(content_type, record, policy, target, record.created_at)
        schedule(timer, now, [r for r in rules if _applies(r, timer)])
        timers.append(timer)
    # No SLA with the customer: the owning group's OLA still times its hold.
    if record.support_group_id:
        timers.extend(
            _segment_timers(
                record, record_type=record_type, kind=AgreementKind.OLA, now=now,
                support_group_id=record.support_group_id, rules=rules,
            )
        )  # fmt: skip
    SlaTimer.objects.bulk_create(timers)
    return timers


def _new_timer(content_type, record, policy, target, started_at) -> SlaTimer:
    return SlaTimer(
        content_type=content_type,
        object_id=record.pk,
        policy=policy,
        target=target,
        metric=target.metric,
        started_at=started_at,
        target_seconds=target.minutes * 60,
    )


def _segment_timers(record, *, record_type, kind, now, rules=None, **conditions) -> list[SlaTimer]:
    """The OLA or UC clocks from now, unsaved, when an agreement of that kind covers the
    record (from each process's copy of the agreements)."""
    policy = policy_match(record_type=record_type, kind=kind, **_facts(record), **conditions)
    if policy is None:
        return []
    if rules is None:
        rules = memo.reference("sla:time-rules", _active_rules)
    content_type = ContentType.objects.get_for_model(record)
    timers = []
    for target in loaded_targets(policy):
        timer = _new_timer(content_type, record, policy, target, now)
        schedule(timer, now, [r for r in rules if _applies(r, timer)], fired=set())
        timers.append(timer)
    return timers


def _start_segment(record, *, record_type, kind, now, **conditions) -> None:
    """An OLA or UC clock from now, when an agreement of that kind covers the record."""
    timers = _segment_timers(record, record_type=record_type, kind=kind, now=now, **conditions)
    SlaTimer.objects.bulk_create(timers)


def _stop_segment(record, metric: str, now) -> None:
    for timer in _open_timers(record).filter(metric=metric):
        _stop(timer, now)
        timer.save()


def group_changed(record, *, record_type: str, now=None) -> None:
    """OLA: each support group's time with the record is its own segment. The previous group's
    clock stops (met or breached), the new group's starts."""
    now = now or timezone.now()
    _stop_segment(record, Metric.GROUP_HOLD, now)
    _start_group_hold(record, record_type=record_type, now=now)


def _start_group_hold(record, *, record_type: str, now) -> None:
    """The owning group's OLA clock from now (a new record has no earlier one to stop)."""
    if record.support_group_id:
        _start_segment(
            record, record_type=record_type, kind=AgreementKind.OLA, now=now,
            support_group_id=record.support_group_id,
        )  # fmt: skip


def _stop(timer: SlaTimer, now: datetime) -> None:
    if timer.state == TimerState.PAUSED:
        _close_pause(timer, now)
    timer.stopped_at = now
    late = timer.breached_at is not None or (timer.due_at is not None and now > timer.due_at)
    if late and timer.breached_at is None:
        timer.breached_at = timer.due_at
    timer.state = TimerState.BREACHED if late else TimerState.MET
    timer.next_check_at = None
    timer.updated_at = now


def _close_pause(timer: SlaTimer, now: datetime) -> None:
    if timer.pauses and timer.pauses[-1][1] is None:
        timer.pauses[-1][1] = now.isoformat()


def first_response(record, *, at=None) -> None:
    """The first public reply by an agent meets the first-response target."""
    at = at or timezone.now()
    for timer in _open_timers(record).filter(metric=Metric.FIRST_RESPONSE):
        _stop(timer, at)
        timer.save()


def agent_replied(record, *, at=None) -> None:
    """A public reply by an agent: meets the first response, and the update interval running
    now, and starts the next update interval from the reply (paused if the record is paused)."""
    at = at or timezone.now()
    first_response(record, at=at)
    _restart_updates(record, at)


def _restart_updates(record, at, *, policy=None) -> None:
    """Stop the open update-interval clock and start the next one from `at`."""
    paused = False
    for timer in _open_timers(record).filter(metric=Metric.UPDATE):
        paused, policy = timer.state == TimerState.PAUSED, timer.policy
        _stop(timer, at)
        timer.save()
    target = (
        policy and policy.targets.select_related("calendar").filter(metric=Metric.UPDATE).first()
    )
    if not target:
        return
    timer = _new_timer(ContentType.objects.get_for_model(record), record, policy, target, at)
    if paused:
        timer.pauses, timer.state = [[at.isoformat(), None]], TimerState.PAUSED
    schedule(timer, at)
    timer.save()


def _open_timers(record):
    return (
        _timers_of(record)
        .filter(state__in=OPEN_TIMER_STATES)
        .select_related("target__calendar", "policy")
        .select_for_update(of=("self",))
    )


def record_status_changed(record, *, old: str, new: str, record_type: str, now=None) -> None:
    """Pause, resume, meet or cancel the record's timers as its status moves.

    The statuses mean what the record's workflow says (`WORKFLOW.meaning`): a resolved state
    (an incident resolved or closed, a request closed) meets every open target (a first
    response not yet given counts as met at the resolution); a cancelled state cancels them; a
    paused state (pending, awaiting approval) on a reason of the policy's `pause_on` pauses;
    leaving it resumes; reopening a resolved record resumes its resolution clock, the time it
    spent resolved not counted. Precondition: the record is locked (its timers are locked here).
    """
    now = now or timezone.now()
    meaning = type(record).WORKFLOW.meaning
    was, becomes = meaning(old), meaning(new)
    if was == Meaning.PAUSED:
        _stop_segment(record, Metric.SUPPLIER, now)
    if becomes == Meaning.PAUSED and record.pending_reason == "supplier":
        _start_segment(record, record_type=record_type, kind=AgreementKind.UC, now=now)
    if becomes == Meaning.RESOLVED:
        for timer in _open_timers(record):
            _stop(timer, now)
            timer.save()
        return
    if becomes == Meaning.CANCELLED:
        _open_timers(record).update(
            state=TimerState.CANCELLED, stopped_at=now, next_check_at=None, updated_at=now
        )
        return
    if was == Meaning.RESOLVED:
        _reopen(record, now)
        return
    pausing = becomes == Meaning.PAUSED and record.pending_reason
    for timer in _open_timers(record):
        should_pause = (
            pausing
            and timer.policy.kind != AgreementKind.UC
            and record.pending_reason in (timer.policy.pause_on or [])
        )
        if should_pause and timer.state == TimerState.RUNNING:
            timer.pauses.append([now.isoformat(), None])
            timer.state = TimerState.PAUSED
        elif not should_pause and timer.state == TimerState.PAUSED:
            _close_pause(timer, now)
            timer.state = TimerState.RUNNING
        else:
            continue
        schedule(timer, now)
        timer.save()


def _reopen(record, now) -> None:
    timer = (
        _timers_of(record)
        .filter(metric=Metric.RESOLUTION, state__in=[TimerState.MET, TimerState.BREACHED])
        .select_related("target__calendar", "policy")
        .order_by("-stopped_at")
        .first()
    )
    if timer is None:
        return
    timer.pauses.append([timer.stopped_at.isoformat(), now.isoformat()])
    timer.stopped_at = None
    timer.state = TimerState.RUNNING
    schedule(timer, now)
    timer.save()
    _restart_updates(record, now, policy=timer.policy)


def priority_changed(record, *, record_type: str, now=None) -> None:
    """Another priority may pick another policy: its targets apply retroactively from the
    record's start, with the time already paused carried over. Fired thresholds stay fired."""
    now = now or timezone.now()
    policy = policy_for(record_type=record_type, **_facts(record))
    targets = _targets_of(policy)
    for timer in _open_timers(record).filter(policy__kind=AgreementKind.SLA):
        if timer.policy_id != getattr(policy, "pk", None):
            _retarget(timer, policy, targets, now)


def _targets_of(policy) -> dict:
    return {t.metric: t for t in policy.targets.select_related("calendar")} if policy else {}


def _retarget(timer: SlaTimer, policy, targets: dict, now) -> None:
    """Move an open timer to another policy's target of its metric, counted from the timer's
    own start with its pauses kept (so the time elapsed carries over); cancelled when that
    policy has no such target, or when no policy applies any more."""
    target = targets.get(timer.metric)
    if target is None:
        timer.state = TimerState.CANCELLED
        timer.stopped_at = now
        timer.next_check_at = None
        timer.updated_at = now
    else:
        timer.policy, timer.target = policy, target
        timer.target_seconds = target.minutes * 60
        schedule(timer, now)
    timer.save()


def _successor(timer: SlaTimer):
    """The agreement that now applies to a timer whose policy was switched off: the next
    active one of the same kind matching the record (None: none, or the record is gone)."""
    model = timer.content_type.model_class()
    record: Any = model._default_manager.filter(pk=timer.object_id).first() if model else None
    if record is None:
        return None
    old = timer.policy
    conditions = {}
    if old.kind == AgreementKind.OLA:
        conditions["support_group_id"] = record.support_group_id
    return policy_for(record_type=old.record_type, kind=old.kind, **_facts(record), **conditions)
