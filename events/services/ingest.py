"""Taking alerts in: each stored (deduplicated on its fingerprint, idempotent on the source's
own id) in the request's transaction; the incident work is the worker's, asked after commit."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.choices import ACTIVE_STATES, EventState, Processing
from events.models import AlertSource, Event, Receipt
from events.parsers import FIRING, Alert
from events.services.upsert import RETRYABLE, alerts_upsert
from servicedesk.actors import actor_required
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.jobs import enqueue

logger = logging.getLogger(__name__)

MANAGE_PERMISSION = "events.change_eventrule"
WORK_PERMISSION = "incidents.work_incident"


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    resolved: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "resolved": self.resolved,
                "duplicates": self.duplicates}  # fmt: skip


def source_create(*, actor: Any, name: str, kind: str, token: str | None = None
                  ) -> tuple[AlertSource, str]:  # fmt: skip
    """A monitoring source and its token (returned once: only its hash is kept)."""
    actor_required(actor)
    if not actor.has_perm("events.add_alertsource"):
        raise PermissionDenied(_("Only administrators add alert sources."))
    source = AlertSource(name=name, kind=kind)
    token = source.set_token(token)
    source.full_clean()
    source.save()
    return source, token


KICK_QUEUED = "events:kick-queued"  # a processing task is queued and has not started yet
KICK_TTL = 5  # seconds: a lost task holds no kick back for longer


def _kick() -> None:
    """Ask a worker to process, unless a request it has not started on is already queued
    (that one reads the pending events after these committed): under a stream of alerts one
    task per burst, not one per request. The worker clears the flag before each read."""
    from events.tasks import process_events_task

    try:
        if not cache.add(KICK_QUEUED, 1, timeout=KICK_TTL):
            return
    except Exception:  # noqa: BLE001 - the cache down: ask anyway
        logger.warning("events: no kick flag (cache unavailable)", exc_info=True)
    if not enqueue(process_events_task):  # the broker down: the beat sweep picks them up
        kick_taken()


def kick_taken() -> None:
    """The worker is about to read the pending events: the next commit asks again."""
    try:
        cache.delete(KICK_QUEUED)
    except Exception:  # noqa: BLE001 - the cache down: intake asks every time
        logger.warning("events: kick flag not cleared (cache unavailable)", exc_info=True)


_kick.is_events_kick = True  # type: ignore[attr-defined]


def _kick_after_commit() -> None:
    """One request to the worker per transaction, however many alerts it took (a kick left by
    a finished inner block is not relied on, as the outbox's)."""
    connection = transaction.get_connection()
    open_blocks = set(connection.savepoint_ids)
    for savepoints, func, _robust in connection.run_on_commit:
        if getattr(func, "is_events_kick", False) and savepoints <= open_blocks:
            return
    transaction.on_commit(_kick)


def alerts_ingest(*, source: AlertSource, alerts: list[Alert], now=None) -> IngestResult:
    """Store what a source sent, all or nothing: on PostgreSQL a batch of distinct alerts in
    one statement (`upsert.alerts_upsert`), else a few statements for the batch or one
    savepoint per alert.

    A notification whose key was taken before (a retry, Alertmanager's repeat of a group) is
    a duplicate and changes nothing. A firing alert updates the active event of its
    fingerprint (count, last seen, severity) or starts one; a resolved one resolves it. New and
    resolved events are left `pending` for the worker (rules, correlation, the incident), which
    is asked once after the commit."""
    now = now or timezone.now()
    result = _upserted(source, alerts, now)
    if result is not None:
        return result
    result = IngestResult()
    with transaction.atomic():
        keys = {alert.key for alert in alerts}
        seen = set(
            Receipt.objects.filter(source=source, key__in=keys).values_list("key", flat=True)
        )
        fresh = [alert for alert in alerts if alert.key not in seen]
        if _take_batch(source, fresh, now, result):
            result.duplicates = len(alerts) - len(fresh)
            alerts = []
        for alert in alerts:
            if alert.key in seen:
                result.duplicates += 1
                continue
            seen.add(alert.key)
            for attempt in range(2):
                try:
                    with transaction.atomic():
                        outcome = _take(source, alert, now)
                except IntegrityError:
                    # A concurrent request took the same key, or started the same event.
                    if attempt:
                        raise
                    continue
                setattr(result, outcome, getattr(result, outcome) + 1)
                break
        if result.created or result.resolved:
            _kick_after_commit()
    return result


def _distinct(alerts: list[Alert]) -> bool:
    return len({alert.fingerprint for alert in alerts}) == len(alerts)


def _upserted(source: AlertSource, alerts: list[Alert], now) -> IngestResult | None:
    """The whole batch in one statement on PostgreSQL; None, with nothing written, when the
    other paths must take it: another database, a fingerprint twice in the batch, or a
    concurrent request that took one of its keys first (or locked its events in another
    order) between the statement's read and its write."""
    if connection.vendor != "postgresql" or not alerts or not _distinct(alerts):
        return None
    try:
        with transaction.atomic():
            counts = alerts_upsert(source_id=source.pk, alerts=alerts, now=now)
            if counts["created"] or counts["resolved"]:
                _kick_after_commit()
    except IntegrityError:
        return None
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) not in RETRYABLE:
            raise
        return None
    return IngestResult(**counts)


def _new_event(source: AlertSource, alert: Alert, now, **fields) -> Event:
    return Event(
        source=source, fingerprint=alert.fingerprint, host=alert.host,
        service_name=alert.service_name, summary=alert.summary, severity=alert.severity,
        labels=alert.labels, annotations=alert.annotations,
        first_seen_at=min(alert.starts_at or now, now), last_seen_at=now, **fields,
    )  # fmt: skip


def _fire(event: Event, alert: Alert, now) -> None:
    event.count += 1
    event.last_seen_at = now
    event.severity = alert.severity
    event.summary = alert.summary or event.summary
    event.labels = {**event.labels, **alert.labels}


def _clear(event: Event, alert: Alert, now) -> None:
    event.state = EventState.RESOLVED
    event.resolved_at = min(alert.ends_at or now, now)
    event.last_seen_at = now
    event.processing = Processing.PENDING


_FIRE_FIELDS = ["count", "last_seen_at", "severity", "summary", "labels"]
_CLEAR_FIELDS = ["state", "resolved_at", "last_seen_at", "processing"]
_RESOLVED_UNSEEN = {"state": EventState.RESOLVED, "processing": Processing.DONE}


def _take_batch(source: AlertSource, alerts: list[Alert], now, result: IngestResult) -> bool:
    """The whole batch in a handful of statements where one statement cannot be had (SQLite);
    False, with nothing written, when the per-alert path must do it (a fingerprint twice in
    the batch, or a concurrent request took a key or started an event first)."""
    if not alerts or not _distinct(alerts):
        return not alerts
    counts = IngestResult()
    try:
        with transaction.atomic():
            active = {
                event.fingerprint: event
                for event in Event.objects.select_for_update().filter(
                    source=source, fingerprint__in=[alert.fingerprint for alert in alerts],
                    state__in=ACTIVE_STATES,
                ).order_by("pk")
            }  # fmt: skip
            new, fired, cleared, receipts = [], [], [], []
            for alert in alerts:
                event = active.get(alert.fingerprint)
                if event is None:
                    extra = {} if alert.status == FIRING else {
                        **_RESOLVED_UNSEEN, "resolved_at": alert.ends_at or now}  # fmt: skip
                    event = _new_event(source, alert, now, **extra)
                    new.append(event)
                    counts.created += 1
                elif alert.status == FIRING:
                    _fire(event, alert, now)
                    fired.append(event)
                    counts.updated += 1
                else:
                    _clear(event, alert, now)
                    cleared.append(event)
                    counts.resolved += 1
                receipts.append(Receipt(source=source, key=alert.key, event=event,
                                        received_at=now))  # fmt: skip
            Event.objects.bulk_create(new)
            if any(event.pk is None for event in new):
                raise IntegrityError("no ids back from bulk_create")
            Event.objects.bulk_update(fired, _FIRE_FIELDS)
            Event.objects.bulk_update(cleared, _CLEAR_FIELDS)
            Receipt.objects.bulk_create(receipts)
    except IntegrityError:
        return False
    result.created, result.updated, result.resolved = (
        counts.created, counts.updated, counts.resolved)  # fmt: skip
    return True


def _take(source: AlertSource, alert: Alert, now) -> str:
    if Receipt.objects.filter(source=source, key=alert.key).exists():
        return "duplicates"
    event = (
        Event.objects.select_for_update()
        .filter(source=source, fingerprint=alert.fingerprint, state__in=ACTIVE_STATES)
        .first()
    )
    outcome = "updated"
    if alert.status == FIRING:
        if event is None:
            event = _new_event(source, alert, now)
            event.save()
            outcome = "created"
        else:
            _fire(event, alert, now)
            event.save(update_fields=_FIRE_FIELDS)
    elif event is None:
        # The firing never reached us (or was pruned): kept as a resolved event all the same.
        event = _new_event(source, alert, now, **_RESOLVED_UNSEEN,
                           resolved_at=alert.ends_at or now)  # fmt: skip
        event.save()
        outcome = "created"
    else:
        _clear(event, alert, now)
        event.save(update_fields=_CLEAR_FIELDS)
        outcome = "resolved"
    Receipt.objects.create(source=source, key=alert.key, event=event, received_at=now)
    return outcome


@transaction.atomic
def event_acknowledge(*, event_id: int, actor: Any) -> Event:
    """An agent has seen the event: it shows as acknowledged; recovery still resolves it.
    TransitionNotAllowed (409) for an event no longer active or already acknowledged."""
    actor_required(actor)
    if not actor.has_perm(WORK_PERMISSION):
        raise PermissionDenied(_("Only service desk staff can do this."))
    event = Event.objects.select_for_update().get(pk=event_id)
    if event.state not in (EventState.OPEN, EventState.HELD, EventState.INFO,
                           EventState.SILENCED):  # fmt: skip
        raise TransitionNotAllowed(_("This event is %(state)s.")
                                   % {"state": event.get_state_display().lower()})  # fmt: skip
    event.state = EventState.ACKNOWLEDGED
    event.acknowledged_by = actor
    event.acknowledged_at = timezone.now()
    event.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
    return event


def events_prune(*, now=None, batch_size: int = 5000) -> int:
    """Delete events resolved more than EVENTS_RETENTION_DAYS ago (their receipts with them)
    and receipts older than that, in batches by the resolved-at index; returns events deleted.
    An event that opened an incident keeps no link the incident needs: the incident holds its
    outage window itself."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            Event.objects.filter(resolved_at__lt=cutoff, state=EventState.RESOLVED)
            .order_by("resolved_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        with transaction.atomic():
            Event.objects.filter(parent_id__in=ids).update(parent=None)
            Receipt.objects.filter(event_id__in=ids).delete()
            deleted += Event.objects.filter(pk__in=ids).delete()[1].get("events.Event", 0)
    Receipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted
