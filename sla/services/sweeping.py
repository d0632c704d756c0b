"""The sweep: breaches and escalation rules of the timers that are due, in batches."""

import logging
from datetime import datetime
from typing import cast

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from servicedesk import memo, notifications
from servicedesk.actors import system_actor
from servicedesk.announce import SLA_BREACH, SLA_WARNING, announce_many
from servicedesk.bulk import insert_rows
from servicedesk.models import AuditEvent, AuditKind
from sla import actions as actions_
from sla.models import (
    EscalationAction,
    EscalationFiring,
    Metric,
    SlaTimer,
    TimerState,
)
from sla.services.clock import _active_rules, _applies, schedule, spent_seconds, threshold
from sla.services.policies import business_calendar

logger = logging.getLogger("sla.services")  # the name it had before the split


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
    rules = memo.reference("sla:time-rules", _active_rules)
    total = 0
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            query = SlaTimer.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                next_check_at__lte=now
            )
            if failed:
                query = query.exclude(pk__in=failed)
            due = list(
                query.select_related("target__calendar").order_by("next_check_at")[:batch_size]
            )
            total += _sweep_batch(due, now, rules, failed)
        if len(due) < batch_size:
            return total


def _commit_without_waiting_for_disk() -> None:
    """The batch's commit does not wait for the WAL flush (PostgreSQL's synchronous_commit off,
    for this transaction only). A batch lost to a crash in the next fraction of a second is
    lost whole, timers and firings together, and its timers are still due: the next sweep does
    it again. Nothing is half-written or fired twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


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
        # Firings and timeline events as tuples of ids: on PostgreSQL the database makes their
        # rows from arrays (`_write_on_postgresql`); e-mails and bells are plain dicts.
        self.firings: list[tuple[int, int, datetime]] = []  # (timer, rule, fired at)
        self.events: list[tuple[int, int, int, int]] = []  # (content type, record, text, note)
        self.outbox: list = []
        # The record events announced when the batch is written (servicedesk.announce).
        self.announced: list[dict] = []
        self.saved: set[int] = set()  # timers already written one by one
        # The events' texts, each once; a text (or a template's key) to its index.
        self.texts: list[str] = [""]
        self._indexes: dict = {"": 0}

    def mark(self) -> tuple[int, int, int, int]:
        return len(self.firings), len(self.events), len(self.outbox), len(self.announced)

    def undo(self, mark) -> None:
        del self.firings[mark[0] :], self.events[mark[1] :], self.outbox[mark[2] :]
        del self.announced[mark[3] :]

    def announce(self, record, kind: str, detail: dict) -> None:
        self.announced.append(
            {"record": record, "kind": kind, "actor": system_actor(), "detail": detail}
        )

    def fire(self, timer, rule, now) -> None:
        self.firings.append((timer.pk, rule.pk, now))

    def event(self, timer, *, new_text: str, note: str = "") -> None:
        """A timeline event of the escalation: the system actor's, shown to agents only."""
        self.events.append(
            (timer.content_type_id, timer.object_id, self._index(new_text), self._index(note))
        )

    def _index(self, text: str) -> int:
        index = self._indexes.get(text)
        if index is None:
            index = self._indexes[text] = len(self.texts)
            self.texts.append(text)
        return index

    def write(self, timers) -> None:
        timers = [timer for timer in timers if timer.pk not in self.saved]
        if connection.vendor == "postgresql":
            _write_on_postgresql(self, timers)
        else:
            insert_rows(EscalationFiring, [
                {"timer_id": timer_id, "rule_id": rule_id, "fired_at": at}
                for timer_id, rule_id, at in self.firings
            ])  # fmt: skip
            insert_rows(AuditEvent, [_event_row(self, event) for event in self.events])
            if timers:
                SlaTimer.objects.bulk_update(timers, _SWEPT_FIELDS)
        notifications.add_many([row for row in self.outbox if row is not None])
        announce_many(self.announced)

    def text(self, template, *, metric, action=None) -> str:
        """A timeline text, translated once per batch rather than once per firing."""
        key = (template, metric, action)
        if key not in self._indexes:
            labels = {"metric": Metric(metric).label}
            if action is not None:
                labels["action"] = EscalationAction(action).label
            self._indexes[key] = self._index(_(template) % labels)
        return self.texts[self._indexes[key]]


# Timeline texts of the sweep (translated when written, in the server's language).
BREACHED = gettext_noop("%(metric)s target breached")
ESCALATED = gettext_noop("%(metric)s: %(action)s")
_SWEPT_FIELDS = ["breached_at", "due_at", "next_check_at", "updated_at"]


def _event_row(batch: _Batch, event: tuple[int, int, int, int]) -> dict:
    content_type_id, object_id, new_text, note = event
    return {
        "content_type_id": content_type_id, "object_id": object_id,
        "actor_id": system_actor().pk, "kind": AuditKind.ESCALATED, "field": "sla",
        "public": False, "new_text": batch.texts[new_text], "note": batch.texts[note],
    }  # fmt: skip


# The batch's firings, timeline events and timers in one statement: the database makes the rows
# from a few arrays (ids, moments, indexes into the batch's texts), not Python each row's text.
# A firing that exists already (the unique timer and rule) fails all of it, as one COPY did.
_WRITE_SQL = """
WITH firings AS (
    INSERT INTO sla_escalationfiring (timer_id, rule_id, fired_at)
    SELECT * FROM unnest(%(fired_timers)s::bigint[], %(fired_rules)s::bigint[],
                         %(fired_at)s::timestamptz[])
), events AS (
    INSERT INTO servicedesk_auditevent (content_type_id, object_id, created_at, actor_id, kind,
                                        field, old_text, new_text, note, public)
    SELECT e.content_type_id, e.object_id, %(at)s, %(actor)s, %(kind)s, 'sla', '',
           (%(texts)s::text[])[e.new_text + 1], (%(texts)s::text[])[e.note + 1], false
    FROM unnest(%(event_types)s::int[], %(event_records)s::bigint[], %(event_texts)s::int[],
                %(event_notes)s::int[]) WITH ORDINALITY
         AS e (content_type_id, object_id, new_text, note, position)
    ORDER BY e.position
)
UPDATE sla_slatimer AS t
SET breached_at = v.breached_at, due_at = v.due_at, next_check_at = v.next_check_at,
    updated_at = v.updated_at
FROM unnest(%(timers)s::bigint[], %(breached)s::timestamptz[], %(due)s::timestamptz[],
            %(checks)s::timestamptz[], %(updated)s::timestamptz[])
     AS v (id, breached_at, due_at, next_check_at, updated_at)
WHERE t.id = v.id
"""


def _write_on_postgresql(batch: _Batch, timers: list[SlaTimer]) -> None:
    if not (batch.firings or batch.events or timers):
        return
    firings, events = batch.firings, batch.events
    with connection.cursor() as cursor:
        cursor.execute(
            _WRITE_SQL,
            {
                "fired_timers": _array(firing[0] for firing in firings),
                "fired_rules": _array(firing[1] for firing in firings),
                "fired_at": _array(firing[2] for firing in firings),
                "at": timezone.now(),
                "actor": system_actor().pk,
                "kind": AuditKind.ESCALATED.value,
                "event_types": _array(event[0] for event in events),
                "event_records": _array(event[1] for event in events),
                "event_texts": _array(event[2] for event in events),
                "event_notes": _array(event[3] for event in events),
                "texts": batch.texts,
                "timers": _array(timer.pk for timer in timers),
                "breached": _array(timer.breached_at for timer in timers),
                "due": _array(timer.due_at for timer in timers),
                "checks": _array(timer.next_check_at for timer in timers),
                "updated": _array(timer.updated_at for timer in timers),
            },
        )


def _array(values) -> str:
    """A PostgreSQL array literal of ids or moments, none of which needs quoting: one string
    for the driver to send rather than a value each for it to quote."""
    return "{" + ",".join(_literal(value) for value in values) + "}"


def _literal(value) -> str:
    if value is None:
        return "NULL"
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _records_of(timers) -> dict:
    """The timers' records, one query per record type (not one per timer)."""
    wanted: dict[int, list[int]] = {}
    for timer in timers:
        wanted.setdefault(timer.content_type_id, []).append(timer.object_id)
    records = {}
    for content_type_id, ids in wanted.items():
        model = cast(type[Model], ContentType.objects.get_for_id(content_type_id).model_class())
        rows = model._default_manager.select_related("support_group").in_bulk(ids)
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
        batch.announce(record, SLA_BREACH,
                       {"metric": timer.metric, "due_at": timer.due_at.isoformat()})  # fmt: skip
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
        batch.fire(timer, rule, now)
        already = already | {rule.pk}
        batch.event(
            timer,
            new_text=f"{rule.name}"[:255],
            note=batch.text(ESCALATED, metric=timer.metric, action=rule.action),
        )
        batch.announce(record, SLA_WARNING, {"metric": timer.metric, "rule": rule.name})
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
