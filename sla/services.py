"""SLA timers: started with a record, paused, resumed, met, re-targeted, swept.

Record apps call `start_timers`, `record_status_changed`, `agent_replied` and
`priority_changed` from their own services, inside their transaction. The beat task calls
`sweep`. All arithmetic is business time on the target's calendar (`sla.calendar`).
"""

import logging
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from servicedesk import notifications
from servicedesk.actors import system_actor
from servicedesk.models import AuditEvent, AuditKind
from servicedesk.workflow import Meaning
from sla import actions as actions_
from sla.calendar import BusinessCalendar
from sla.models import (
    OPEN_TIMER_STATES,
    AgreementKind,
    Calendar,
    EscalationAction,
    EscalationFiring,
    EscalationRule,
    Metric,
    PendingRecompute,
    SlaPolicy,
    SlaTimer,
    TimerState,
)

logger = logging.getLogger(__name__)

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
        spent -= calendar.elapsed(_parse(start), pause_end)
    return max(spent.total_seconds(), 0.0)


def _rules_for(timer: SlaTimer) -> list[EscalationRule]:
    return [rule for rule in _active_rules() if _applies(rule, timer)]


def _active_rules() -> list[EscalationRule]:
    return list(EscalationRule.objects.filter(is_active=True).select_related("support_group"))


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


# --- Life cycle ---------------------------------------------------------------------------------


def start_timers(record, *, record_type: str, now=None, policy=None) -> list[SlaTimer]:
    """Start the timers of the record's policy, counting from the record's creation.

    `policy` names the agreement outright (a catalogue offering's SLA policy); otherwise the
    matching one applies.
    """
    now = now or timezone.now()
    if policy is None or not policy.is_active:
        policy = policy_for(record_type=record_type, **_facts(record))
    if policy is None:
        # No SLA with the customer; the owning group's OLA still times its hold.
        group_changed(record, record_type=record_type, now=now)
        return []
    content_type = ContentType.objects.get_for_model(record)
    timers = []
    rules = _active_rules()
    for target in policy.targets.select_related("calendar"):
        timers.append(_new_timer(content_type, record, policy, target, record.created_at))
    for timer in timers:
        schedule(timer, now, [r for r in rules if _applies(r, timer)])
    SlaTimer.objects.bulk_create(timers)
    group_changed(record, record_type=record_type, now=now)
    return timers


def _applies(rule, timer) -> bool:
    return rule.metric == timer.metric and rule.policy_id in (None, timer.policy_id)


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


def _start_segment(record, *, record_type, kind, now, **conditions) -> None:
    """An OLA or UC clock from now, when an agreement of that kind covers the record."""
    policy = policy_for(record_type=record_type, kind=kind, **_facts(record), **conditions)
    if policy is None:
        return
    content_type = ContentType.objects.get_for_model(record)
    for target in policy.targets.select_related("calendar"):
        timer = _new_timer(content_type, record, policy, target, now)
        schedule(timer, now)
        timer.save()


def _stop_segment(record, metric: str, now) -> None:
    for timer in _open_timers(record).filter(metric=metric):
        _stop(timer, now)
        timer.save()


def group_changed(record, *, record_type: str, now=None) -> None:
    """OLA: each support group's time with the record is its own segment. The previous group's
    clock stops (met or breached), the new group's starts."""
    now = now or timezone.now()
    _stop_segment(record, Metric.GROUP_HOLD, now)
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
    record = model.objects.filter(pk=timer.object_id).first() if model else None
    if record is None:
        return None
    old = timer.policy
    conditions = {}
    if old.kind == AgreementKind.OLA:
        conditions["support_group_id"] = record.support_group_id
    return policy_for(record_type=old.record_type, kind=old.kind, **_facts(record), **conditions)


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
    successors: dict[tuple, object] = {}
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


def pending_recompute_run(*, pending_id: int, now=None) -> int | None:
    """Do one pending recompute: claim its row (a conditional UPDATE, so two workers never
    run it at once), recompute its timers, delete the row. Idempotent. Returns the timers
    recomputed, or None when someone else has it or it is done. When timers were locked by a
    sweep meanwhile, the row stays (unclaimed) for the next sweep."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=RECOMPUTE_CLAIM_SECONDS)
    claimed = (
        PendingRecompute.objects.filter(pk=pending_id)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )
    if not claimed:
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
    stale = now - timedelta(seconds=RECOMPUTE_CLAIM_SECONDS)
    waiting = (
        PendingRecompute.objects.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(pending_recompute_run(pending_id=pk, now=now) or 0 for pk in list(waiting))


# --- The sweep ----------------------------------------------------------------------------------


def sweep(*, now=None, batch_size: int = 500) -> int:
    """Fire what is due: breaches and escalation rules whose moment has come.

    One indexed range query on `next_check_at <= now`; rows taken with SKIP LOCKED in batches,
    so concurrent sweeps share the work and never process a timer twice at once; each firing is
    a row unique on (timer, rule), so a retried or repeated sweep fires nothing twice. Returns the
    number of firings (breaches included).

    Lock order: the sweep never waits for a lock. It takes its timers with SKIP LOCKED and the
    record an action changes (reassign, raise the priority) with SKIP LOCKED too; a record a
    service holds (which then locks the record's timers) leaves its timer for the next sweep.
    """
    now = now or timezone.now()
    rules = _active_rules()
    total = 0
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            query = SlaTimer.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                next_check_at__lte=now
            )
            if failed:
                query = query.exclude(pk__in=failed)
            due = list(
                query.select_related("target__calendar", "policy", "content_type").order_by(
                    "next_check_at"
                )[:batch_size]
            )
            total += _sweep_batch(due, now, rules, failed)
        if len(due) < batch_size:
            return total


def _sweep_batch(due: list[SlaTimer], now, rules, failed: set[int]) -> int:
    """Process a locked batch and write its firings, timeline events, e-mails and timers in a
    few bulk statements. Should those writes fail, each timer is done again on its own."""
    records = _records_of(due)
    fired = _fired_rules(due)
    try:
        with transaction.atomic():
            batch = _Batch()
            count = sum(
                _process_isolated(t, now, rules, records, fired, batch, failed) for t in due
            )
            batch.write([t for t in due if t.pk not in failed])
            return count
    except DatabaseError:
        logger.exception("SLA sweep: the batch's writes failed; doing its timers one by one")
    count = 0
    for timer in due:
        if timer.pk in failed:
            continue
        try:
            with transaction.atomic():
                timer.refresh_from_db()
                batch = _Batch()
                count += _process(timer, now, rules, records, fired[timer.pk], batch)
                batch.write([timer])
        except RecordBusy:
            failed.add(timer.pk)
        except Exception:  # noqa: BLE001
            logger.exception("SLA timer %s: escalation failed, retried next sweep", timer.pk)
            failed.add(timer.pk)
    return count


class RecordBusy(Exception):
    """A record service holds the timer's record. The sweep takes timers before records, the
    opposite of the services' order (record, then timers), so it never waits for a record:
    the timer is left due and the next sweep does it."""


def _lock_record_or_skip(record) -> None:
    """Lock the record a record action changes, or raise RecordBusy at once if it is held."""
    held = (
        type(record)
        .objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=record.pk)
        .values_list("pk", flat=True)
    )
    if not list(held):
        raise RecordBusy(record.pk)


def _process_isolated(timer, now, rules, records, fired, batch, failed) -> int:
    """One timer's firings, added to the batch. A failing action (a record that no longer
    validates, a bug) drops this timer's part only; the next sweep tries it again. A savepoint
    only where an action writes to the record itself."""
    mark = batch.mark()
    try:
        if any(r.action in actions_.RECORD_ACTIONS and _applies(r, timer) for r in rules):
            with transaction.atomic():
                return _process(timer, now, rules, records, fired[timer.pk], batch)
        return _process(timer, now, rules, records, fired[timer.pk], batch)
    except RecordBusy:
        logger.info("SLA timer %s: its record is being changed, done next sweep", timer.pk)
        batch.undo(mark)
        failed.add(timer.pk)
        return 0
    except Exception:  # noqa: BLE001
        logger.exception("SLA timer %s: escalation failed, retried next sweep", timer.pk)
        batch.undo(mark)
        failed.add(timer.pk)
        return 0


class _Batch:
    """The rows a sweep batch writes at once: firings, timeline events, outbox e-mails."""

    def __init__(self):
        self.firings: list[EscalationFiring] = []
        self.events: list[AuditEvent] = []
        self.outbox: list = []
        self.saved: set[int] = set()  # timers already written one by one
        self.texts: dict[tuple, str] = {}

    def mark(self) -> tuple[int, int, int]:
        return len(self.firings), len(self.events), len(self.outbox)

    def undo(self, mark) -> None:
        del self.firings[mark[0] :], self.events[mark[1] :], self.outbox[mark[2] :]

    def event(self, timer, **fields) -> None:
        self.events.append(
            AuditEvent(
                content_type_id=timer.content_type_id,
                object_id=timer.object_id,
                actor=system_actor(),
                kind=AuditKind.ESCALATED,
                field="sla",
                public=False,
                **fields,
            )
        )

    def write(self, timers) -> None:
        EscalationFiring.objects.bulk_create(self.firings)
        AuditEvent.objects.bulk_create(self.events)
        notifications.add_many([row for row in self.outbox if row is not None])
        _update_timers([timer for timer in timers if timer.pk not in self.saved])

    def text(self, template, *, metric, action=None) -> str:
        """A timeline text, translated once per batch rather than once per firing."""
        key = (template, metric, action)
        if key not in self.texts:
            labels = {"metric": Metric(metric).label}
            if action is not None:
                labels["action"] = EscalationAction(action).label
            self.texts[key] = _(template) % labels
        return self.texts[key]


# Timeline texts of the sweep (translated when written, in the server's language).
BREACHED = gettext_noop("%(metric)s target breached")
ESCALATED = gettext_noop("%(metric)s: %(action)s")
_SWEPT_FIELDS = ["breached_at", "due_at", "next_check_at", "updated_at"]


def _update_timers(timers: list[SlaTimer]) -> None:
    """The swept timers' new moments in one statement. On PostgreSQL an UPDATE ... FROM
    VALUES: Django's bulk_update builds a CASE per field and row, slower than the database."""
    if not timers:
        return
    if connection.vendor != "postgresql":
        SlaTimer.objects.bulk_update(timers, _SWEPT_FIELDS)
        return
    from psycopg2.extras import execute_values

    rows = [(t.pk, t.breached_at, t.due_at, t.next_check_at, t.updated_at) for t in timers]
    with connection.cursor() as cursor:
        execute_values(
            cursor,
            "UPDATE sla_slatimer AS t SET breached_at = v.breached_at, due_at = v.due_at, "
            "next_check_at = v.next_check_at, updated_at = v.updated_at "
            "FROM (VALUES %s) AS v (id, breached_at, due_at, next_check_at, updated_at) "
            "WHERE t.id = v.id",
            rows,
            template="(%s, %s::timestamptz, %s::timestamptz, %s::timestamptz, %s::timestamptz)",
            page_size=len(rows),
        )


def _records_of(timers) -> dict:
    """The timers' records, one query per record type (not one per timer)."""
    wanted: dict[int, list[int]] = {}
    for timer in timers:
        wanted.setdefault(timer.content_type_id, []).append(timer.object_id)
    records = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        rows = model.objects.select_related("support_group").in_bulk(ids)
        records.update({(content_type_id, pk): row for pk, row in rows.items()})
    return records


def _fired_rules(timers) -> dict[int, set[int]]:
    fired: dict[int, set[int]] = {timer.pk: set() for timer in timers}
    rows = EscalationFiring.objects.filter(timer__in=[t.pk for t in timers])
    for timer_id, rule_id in rows.values_list("timer_id", "rule_id"):
        fired[timer_id].add(rule_id)
    return fired


def _process(timer: SlaTimer, now: datetime, rules, records, already: set[int], batch) -> int:
    """The breach and the rules due for one timer, into the batch; the timer's next moment."""
    record = records.get((timer.content_type_id, timer.object_id))
    if record is None or timer.state != TimerState.RUNNING:
        timer.next_check_at = None
        return 0
    fired = 0
    if timer.breached_at is None and timer.due_at and timer.due_at <= now:
        timer.breached_at = timer.due_at
        batch.event(
            timer,
            new_text=batch.text(BREACHED, metric=timer.metric),
        )
        fired += 1
    calendar = business_calendar(timer.target.calendar)
    spent = spent_seconds(timer, now)
    timer_rules = [rule for rule in rules if _applies(rule, timer)]
    record_actions = []
    for rule in timer_rules:
        if rule.pk in already or threshold(rule, timer, calendar, spent, now) > now:
            continue
        # The timer's row is locked, so no other sweep is here; the unique (timer, rule)
        # constraint is the last guard, and a violation sends the batch down the slow path.
        batch.firings.append(EscalationFiring(timer=timer, rule=rule, fired_at=now))
        already = already | {rule.pk}
        batch.event(
            timer,
            new_text=f"{rule.name}"[:255],
            note=batch.text(ESCALATED, metric=timer.metric, action=rule.action),
        )
        if rule.action in actions_.RECORD_ACTIONS:
            record_actions.append(rule)
        else:
            actions_.run(record, timer, rule, batch.outbox)
        fired += 1
    schedule(timer, now, timer_rules, fired=already)
    if record_actions:
        _lock_record_or_skip(record)
        # Saved before the record's own services run: a raised priority re-targets this timer.
        timer.save()
        batch.saved.add(timer.pk)
        for rule in record_actions:
            actions_.run(record, timer, rule, batch.outbox)
    return fired
