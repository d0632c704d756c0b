"""Timers of records that come with their history (an import from another desk).

Two ways, chosen per import:

- `timers_kept`: the source's own outcome (ServiceNow's `made_sla`) is kept as a stopped
  resolution timer, marked with the source it comes from (`SlaTimer.source`): our clocks did
  not measure it, so it has no due time, and the record page says it is imported;
- `timers_replayed`: the clocks run again over the history on our calendars and policies, as
  if the desk had served the record then: started at the record's creation, paused for the
  pending periods on a reason the policy lists, the first response met at its time, the
  resolution met (or breached, at the instant the target was crossed) when it was resolved,
  resumed on a reopen. A record still open gets running (or paused) timers the sweep takes
  over from there.

Neither writes: both return unsaved `SlaTimer` rows, so an import writes thousands at once.
Only the SLA with the customer (first response and resolution) is rebuilt: update intervals,
OLA segments and supplier clocks need replies and assignments the history rarely has.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from servicedesk.workflow import Meaning
from sla.models import AgreementKind, Metric, SlaPolicy, SlaTimer, TimerState
from sla.services.clock import _active_rules, _applies, schedule
from sla.services.policies import _facts, policy_for
from sla.services.timers import _close_pause, _new_timer, _stop

REPLAYED_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)


@dataclass(frozen=True)
class Step:
    """The record entered `status` at `at` (with its pending reason while pending)."""

    at: datetime
    status: str
    pending_reason: str = ""


class Policies:
    """`policy_for` once per (priority, service, organisation), with the targets and their
    calendars loaded: an import asks it for every record."""

    def __init__(self, record_type: str):
        self.record_type = record_type
        self.memo: dict[tuple, tuple[SlaPolicy | None, list]] = {}
        self.rules = _active_rules()

    def __call__(self, *, priority, service_id, organisation_id) -> tuple[SlaPolicy | None, list]:
        key = (priority, service_id, organisation_id)
        if key not in self.memo:
            policy = policy_for(
                record_type=self.record_type, kind=AgreementKind.SLA, priority=priority,
                service_id=service_id, organisation_id=organisation_id,
            )  # fmt: skip
            targets = (
                [
                    t
                    for t in policy.targets.select_related("calendar")
                    if t.metric in REPLAYED_METRICS
                ]
                if policy
                else []
            )
            self.memo[key] = (policy, targets)
        return self.memo[key]


def timers_kept(
    record, *, content_type, policies: Policies, met: bool, ended_at: datetime, source: str
) -> list[SlaTimer]:
    """The source's outcome of a resolved record as its resolution timer (none when no policy
    of ours covers the record, or it has no resolution target)."""
    policy, targets = policies(**_facts(record))
    target = next((t for t in targets if t.metric == Metric.RESOLUTION), None)
    if policy is None or target is None:
        return []
    timer = _new_timer(content_type, record, policy, target, record.created_at)
    timer.state = TimerState.MET if met else TimerState.BREACHED
    timer.stopped_at = timer.updated_at = ended_at
    timer.breached_at = None if met else ended_at
    timer.source = source
    return [timer]


def timers_replayed(
    record, *, content_type, policies: Policies, steps: Iterable[Step],
    first_response_at: datetime | None, now: datetime,
) -> list[SlaTimer]:  # fmt: skip
    """The record's SLA timers as our clocks would have run them over its history."""
    policy, targets = policies(**_facts(record))
    if policy is None:
        return []
    meaning = type(record).WORKFLOW.meaning
    pause_on = set(policy.pause_on or [])
    timers = [_new_timer(content_type, record, policy, t, record.created_at) for t in targets]
    moments: list[tuple[datetime, int, Step | None]] = [(s.at, 1, s) for s in steps]
    if first_response_at is not None:
        moments.append((first_response_at, 0, None))
    previous = Meaning.OPEN
    for at, _order, step in sorted(moments, key=lambda m: (m[0], m[1])):
        at = max(at, record.created_at)
        if step is None:
            for timer in timers:
                if timer.metric == Metric.FIRST_RESPONSE and timer.stopped_at is None:
                    _stop_at(timer, at)
            continue
        becomes = meaning(step.status)
        for timer in timers:
            _move(timer, at, was=previous, becomes=becomes, paused=step.pending_reason in pause_on)
        previous = becomes
    for timer in timers:
        if timer.state in (TimerState.RUNNING, TimerState.PAUSED):
            schedule(timer, now, [r for r in policies.rules if _applies(r, timer)], set())
    return timers


def _move(timer: SlaTimer, at: datetime, *, was: str, becomes: str, paused: bool) -> None:
    """One status change of the history on one timer (as `record_status_changed` does live)."""
    if timer.state == TimerState.CANCELLED:
        return
    if becomes == Meaning.RESOLVED:
        if timer.stopped_at is None:
            _stop_at(timer, at)
    elif becomes == Meaning.CANCELLED:
        if timer.stopped_at is None:
            _close_pause(timer, at)
            timer.state, timer.stopped_at, timer.updated_at = TimerState.CANCELLED, at, at
    elif was == Meaning.RESOLVED:
        if timer.metric == Metric.RESOLUTION and timer.stopped_at is not None:
            timer.pauses.append([timer.stopped_at.isoformat(), at.isoformat()])
            timer.stopped_at, timer.state = None, TimerState.RUNNING
            # A reopened clock may still make it: its breach is decided when it stops again.
            timer.breached_at = None
    elif timer.stopped_at is None:
        should_pause = becomes == Meaning.PAUSED and paused
        if should_pause and timer.state == TimerState.RUNNING:
            timer.pauses.append([at.isoformat(), None])
            timer.state = TimerState.PAUSED
        elif not should_pause and timer.state == TimerState.PAUSED:
            _close_pause(timer, at)
            timer.state = TimerState.RUNNING


def _stop_at(timer: SlaTimer, at: datetime) -> None:
    """Met or breached at `at`: the due time found on the clock as it ran until then."""
    if timer.state == TimerState.PAUSED:
        _close_pause(timer, at)
        timer.state = TimerState.RUNNING
    timer.breached_at = None
    schedule(timer, at, [], set())
    _stop(timer, at)
