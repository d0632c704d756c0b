"""The e-mail outbox (see `servicedesk.models.Notification`).

Record apps register a renderer for their model and call `notify()` inside their transaction;
`deliver_pending()` (a Celery task, kicked once after each commit and swept by beat) sends.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from servicedesk.bulk import insert_rows
from servicedesk.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claimed batch not marked sent by then was left by a worker that died: it is sent again.
CLAIM_EXPIRES = timedelta(minutes=10)

# "app_label.model" -> render(notification) -> [(address, subject, body), ...]
Renderer = Callable[[Notification], Iterable[tuple[str, str, str]]]
RENDERERS: dict[str, Renderer] = {}
# kind -> render(notification): e-mails the kernel writes the same way for every record type
# (an approver's request for a decision); they take precedence over the model's renderer.
KIND_RENDERERS: dict[str, Renderer] = {}

# Apps that widen or thread outgoing mail (the e-mail channel, inbound/outgoing.py) register:
#   RECIPIENT_HOOKS: f(notification) -> [more addresses] (e.g. a record's watchers);
#   HEADER_HOOKS: f(notification, address, subject) -> (subject, {header: value}, [reply-to])
#   (Message-ID, In-Reply-To/References, Reply-To, Auto-Submitted); called at sending time.
RECIPIENT_HOOKS: list[Callable[[Notification], Iterable[str]]] = []
HEADER_HOOKS: list[Callable[[Notification, str, str], tuple[str, dict[str, str], list[str]]]] = []


def register(model_label: str, renderer: Renderer) -> None:
    RENDERERS[model_label.lower()] = renderer


def register_kind(kind: str, renderer: Renderer) -> None:
    KIND_RENDERERS[kind] = renderer


def renderer_for(notification: Notification) -> Renderer:
    """The renderer of a row: its kind's, else its record model's (KeyError when neither)."""
    renderer = KIND_RENDERERS.get(notification.kind)
    if renderer is not None:
        return renderer
    content_type = notification.content_type
    return RENDERERS[f"{content_type.app_label}.{content_type.model}"]


def notify(record, kind: str, *, user_ids=(), addresses=(), comment=None) -> None:
    """Write an e-mail for `record` into the outbox; it goes out after the commit."""
    row = build(record, kind, user_ids=user_ids, addresses=addresses, comment=comment)
    if row is not None:
        row.save()
        _kick_after_commit()


def build(record, kind: str, *, user_ids=(), addresses=(), comment=None) -> Notification | None:
    """The unsaved outbox row of an e-mail, or None when it has nobody to go to."""
    values = row(record, kind, user_ids=user_ids, addresses=addresses, comment=comment)
    return Notification(**values) if values is not None else None


def row(record, kind: str, *, user_ids=(), addresses=(), comment=None) -> dict | None:
    """`build`'s row as a plain dict for `add_many`: a batch of hundreds (the SLA sweep's) need
    not build a model instance each."""
    user_ids = [pk for pk in user_ids if pk]
    addresses = [address for address in addresses if address]
    if not user_ids and not addresses:
        return None
    return {
        "content_type_id": ContentType.objects.get_for_model(record).pk,
        "object_id": record.pk,
        "kind": kind,
        "user_ids": user_ids,
        "addresses": addresses,
        "comment_id": comment.pk if comment is not None else None,
    }


def add_many(rows: list[Notification] | list[dict]) -> None:
    """Write many outbox rows in one statement (the SLA sweep's batch); one delivery request."""
    if rows:
        insert_rows(Notification, rows)
        _kick_after_commit()


def _kick():
    from servicedesk.jobs import enqueue
    from servicedesk.tasks import deliver_notifications_task

    enqueue(deliver_notifications_task)  # the broker down: the outbox keeps it for the sweep


_kick.is_notification_kick = True  # type: ignore[attr-defined]


def _kick_after_commit() -> None:
    """One delivery request per transaction, however many e-mails it wrote.

    A kick already registered in this block or an enclosing one will run at the same commit;
    one left by a finished inner block is not relied on.
    """
    connection = transaction.get_connection()
    open_blocks = set(connection.savepoint_ids)
    for savepoints, func, _robust in connection.run_on_commit:
        if getattr(func, "is_notification_kick", False) and savepoints <= open_blocks:
            return
    transaction.on_commit(_kick)


def _send(notification: Notification, address: str, subject: str, body: str, *, smtp) -> None:
    headers: dict[str, str] = {}
    reply_to: list[str] = []
    for hook in HEADER_HOOKS:
        subject, more, more_reply_to = hook(notification, address, subject)
        headers.update(more)
        reply_to += more_reply_to
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        headers=headers,
        reply_to=reply_to,
        connection=smtp,
    ).send()


def deliver_pending(*, limit: int = 200) -> int:
    """Send up to `limit` waiting e-mails over one mail-server connection; returns how many
    notifications were sent.

    The batch is claimed in a short transaction (SKIP LOCKED, so concurrent workers never take
    the same rows) and sent outside it: no transaction stays open while a mail server answers.
    A full batch asks for another delivery at once, so while this worker sends, a free worker
    claims the next batch and a backlog drains in parallel. A failure is counted on the row and
    retried by the next run, up to MAX_ATTEMPTS; a worker that dies mid-batch leaves a claim
    that expires after CLAIM_EXPIRES, and its rows are sent again.
    """
    batch = _claim_batch(limit)
    if len(batch) == limit:
        _kick()
    sent, failed = _send_batch(batch)
    with transaction.atomic():
        if sent:
            Notification.objects.filter(pk__in=[n.pk for n in sent]).update(sent_at=timezone.now())
        for notification in failed:
            notification.claimed_at = None
        if failed:
            Notification.objects.bulk_update(failed, ["attempts", "last_error", "claimed_at"])
    return len(sent)


def _claim_batch(limit: int) -> list[Notification]:
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES))
            .select_related("content_type")
            .order_by("created_at", "id")[:limit]
        )
        Notification.objects.filter(pk__in=[n.pk for n in batch]).update(claimed_at=now)
    return batch


def _send_batch(pending: list[Notification]) -> tuple[list[Notification], list[Notification]]:
    """Send each notification's e-mails on one connection, opened on first use and again after
    a failure (a server that dropped the connection fails one notification, not the rest)."""
    sent: list[Notification] = []
    failed: list[Notification] = []
    smtp = get_connection()
    try:
        for notification in pending:
            try:
                for hook in RECIPIENT_HOOKS:
                    more = [a for a in hook(notification) if a not in notification.addresses]
                    notification.addresses = [*notification.addresses, *more]
                for address, subject, body in renderer_for(notification)(notification):
                    if getattr(smtp, "connection", True) is None:
                        smtp.open()
                    _send(notification, address, subject, body, smtp=smtp)
            except Exception as error:  # noqa: BLE001 - any failure is retried later
                notification.attempts += 1
                notification.last_error = f"{type(error).__name__}: {error}"[:2000]
                failed.append(notification)
                logger.warning("notification %s failed: %s", notification.pk, error)
                _close_quietly(smtp)
            else:
                sent.append(notification)
    finally:
        _close_quietly(smtp)
    return sent, failed


def _close_quietly(smtp) -> None:
    try:
        smtp.close()
    except Exception:  # noqa: BLE001 - a connection already gone needs no closing
        logger.debug("closing the mail connection failed", exc_info=True)
