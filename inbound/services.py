"""Every write of the e-mail channel: storing a message, processing it, retrying it, polling
a mailbox, and the mailbox's secrets.

The channel's rule (docs/email.md): a message is **stored before it is processed**, in its
own transaction, unique on its source key (Message-ID, or a hash of the bytes); processing
takes the stored row with a lock and turns it into a record, a reply or a refusal in one
transaction with the record's own writes, so a crash at any point leaves either nothing done
or everything done, and a second read of the same message finds the row and does nothing.
A message whose processing raises is kept as "failed" with the error, retryable.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import can_see_internal
from inbound import fetchers
from inbound.choices import MessageStatus
from inbound.crypto import token_hash
from inbound.intake import Outcome, intake
from inbound.models import InboundMessage, Mailbox, Watcher
from inbound.parser import ParsedMessage, parse, source_key
from servicedesk.actors import actor_required
from servicedesk.events import record_event
from servicedesk.exceptions import ApplicationError
from servicedesk.models import AuditKind
from servicedesk.notifications import notify

logger = logging.getLogger(__name__)

POLL_LEASE = timedelta(minutes=10)
HEADER_LIMIT = 64 * 1024
STUCK_AFTER = timedelta(minutes=2)
POLL_CHUNK = 50  # messages stored in one transaction and marked in one command
ADMIN_PERMISSION = "inbound.change_mailbox"


def _ensure_admin(actor) -> None:
    actor_required(actor)
    if not actor.has_perm(ADMIN_PERMISSION):
        raise PermissionDenied(_("Only administrators manage mailboxes."))


def mailbox_token_rotate(*, mailbox: Mailbox, actor) -> str:
    """A new secret token for the inbound endpoint; returns it once (only its hash is kept)."""
    _ensure_admin(actor)
    token = secrets.token_urlsafe(32)
    mailbox.token_hash = token_hash(token)
    mailbox.save(update_fields=["token_hash"])
    return token


def mailbox_by_token(*, name: str, token: str) -> Mailbox | None:
    """The active mailbox `name` when `token` is its endpoint token, else None."""
    mailbox = Mailbox.objects.filter(name=name, is_active=True).first()
    if mailbox is None or not mailbox.token_hash or not token:
        return None
    if not secrets.compare_digest(mailbox.token_hash, token_hash(token)):
        return None
    return mailbox


def _headers_only(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw[: end if 0 <= end <= HEADER_LIMIT else HEADER_LIMIT]


def message_store(
    *, mailbox: Mailbox, raw: bytes, source_uid: str = "", parsed: ParsedMessage | None = None
) -> tuple[InboundMessage, bool]:
    """Store a received message before anything is done with it: (row, created).

    The row is unique on its source key: a message read again (after a crash between
    reading and marking it on the server, or sent to two mailboxes) returns the existing row
    with created False. A message over the mailbox's size limit keeps its headers only and is
    refused at processing with the reason. `parsed` is the message already parsed (the
    poller parses once); otherwise its headers are parsed here.
    """
    key, values = _stored_values(mailbox, raw, source_uid, parsed)
    too_large = values["status"] == MessageStatus.REFUSED
    try:
        with transaction.atomic():
            message, created = InboundMessage.objects.get_or_create(source_key=key, defaults=values)
    except IntegrityError:
        message, created = InboundMessage.objects.get(source_key=key), False
    if created and too_large:
        transaction.on_commit(lambda: message_refusal_reply(message_id=message.pk))
    return message, created


def _stored_values(
    mailbox: Mailbox, raw: bytes, source_uid: str, parsed: ParsedMessage | None
) -> tuple[str, dict[str, Any]]:
    """The source key and the stored row's fields of a received message."""
    parsed_headers = parsed or parse(_headers_only(raw) + b"\r\n\r\n")
    key = source_key(raw, parsed_headers.message_id)
    too_large = len(raw) > mailbox.max_message_bytes
    values: dict[str, Any] = {
        "mailbox": mailbox,
        "source_uid": source_uid[:255],
        "message_id": parsed_headers.message_id[:255],
        "sender": parsed_headers.sender[:255],
        "subject": parsed_headers.subject[:255],
        "size": len(raw),
        "raw": _headers_only(raw) if too_large else raw,
        "status": MessageStatus.PENDING,
    }
    if too_large:
        values.update(
            status=MessageStatus.REFUSED,
            processed_at=timezone.now(),
            reason=_("The message is %(size)d bytes; this mailbox takes at most %(limit)d.")
            % {"size": len(raw), "limit": mailbox.max_message_bytes},
        )
    return key, values


def messages_store(
    *, mailbox: Mailbox, items: list[tuple[str, bytes, ParsedMessage | None]]
) -> list[tuple[InboundMessage, bool]]:
    """`message_store` for a group of (server id, raw, parsed) read together: the same rows
    and the same uniqueness in three statements for the group (the rows already stored, one
    INSERT ... ON CONFLICT DO NOTHING, the rows read back), not four per message. A message
    that is in the group twice, or that another worker stored meanwhile, is not created."""
    keyed = [_stored_values(mailbox, raw, uid, parsed) for uid, raw, parsed in items]
    with transaction.atomic():
        keys = [key for key, _values in keyed]
        before = set(
            InboundMessage.objects.filter(source_key__in=keys).values_list("source_key", flat=True)
        )
        new: dict[str, InboundMessage] = {}
        for key, values in keyed:
            if key not in before and key not in new:
                new[key] = InboundMessage(source_key=key, **values)
        InboundMessage.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        rows = {row.source_key: row for row in InboundMessage.objects.filter(source_key__in=keys)}
        created_ids = {
            rows[key].pk
            for key, row in new.items()
            if key in rows and rows[key].received_at == row.received_at
        }
        result = []
        taken: set[str] = set()
        for key, _values in keyed:
            message = rows[key]
            created = message.pk in created_ids and key not in taken
            taken.add(key)
            if created and message.status == MessageStatus.REFUSED:
                transaction.on_commit(partial(message_refusal_reply, message_id=message.pk))
            result.append((message, created))
    return result


def message_refusal_reply(*, message_id: int) -> None:
    """Tell the sender, politely, that their message was not taken (never to machines)."""
    with transaction.atomic():
        message = InboundMessage.objects.get(pk=message_id)
        parsed = parse(bytes(message.raw))
        if parsed.sender and not parsed.auto_reason and not parsed.is_bounce:
            notify(message, "refused", addresses=[parsed.reply_to or parsed.sender])


LOCKED_WITH = (
    "mailbox",
    "mailbox__support_group",
    "mailbox__category",
    "mailbox__service",
    "mailbox__request_item",
)
PROCESSED_FIELDS = [
    "status", "reason", "error", "attempts", "processed_at", "content_type", "object_id",
    "record_number", "comment_id",
]  # fmt: skip


def _locked(ids: list[int], *, without_raw: bool = False) -> dict[int, InboundMessage]:
    """The stored rows, locked (`SELECT ... FOR UPDATE`, in primary-key order), with their
    mailbox; without the raw bytes when the caller holds them already."""
    rows = (
        InboundMessage.objects.select_for_update(of=("self",))
        .select_related(*LOCKED_WITH)
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if without_raw:
        rows = rows.defer("raw")
    return {row.pk: row for row in rows}


def message_process(*, message_id: int, parsed: ParsedMessage | None = None) -> InboundMessage:
    """Turn a stored message into a record, a reply or a refusal (see the module docstring).

    The row is locked (`SELECT ... FOR UPDATE`); a message already done is returned as it
    is, so a retry or a second worker changes nothing. Any exception while processing rolls
    back the record writes (a savepoint) and is kept on the row as "failed", with the error;
    this function does not raise for it. `parsed` is the stored message already parsed.

    The transaction commits without waiting for its WAL flush (`synchronous_commit` off for
    it alone): the stored row is already durable, so a database crash that loses the last
    few milliseconds of processing leaves the message pending and the beat's catch-up
    (`messages_process_stuck`) processes it again; nothing is lost or taken twice.
    """
    with transaction.atomic():
        _commit_without_flush()
        message = _locked([message_id])[message_id]
        return _process_locked(message, parsed)


def messages_process(*, items: list[tuple[int, bytes | None, ParsedMessage | None]]) -> None:
    """`message_process` for a group a poll just stored: (row id, the raw bytes read, parsed)
    each, with `None, None` for a row stored earlier (its stored bytes are parsed again).

    One transaction for the group (one lock statement, one commit, WAL flush not awaited as
    above; the SLA agreements, their targets and escalation rules come from each process's
    copy, `servicedesk.memo`), each message in its own savepoint, so a message that fails is
    kept as failed while the others go on. Should the group's transaction itself fail (a deadlock with
    someone else's write, a lost connection), nothing of it is kept and each message is
    processed again on its own.
    """
    if not items:
        return
    try:
        with transaction.atomic():
            _commit_without_flush()
            rows = _locked([pk for pk, _raw, _parsed in items], without_raw=True)
            for pk, raw, parsed in items:
                message = rows[pk]
                if raw is not None:
                    message.raw = raw
                _process_locked(message, parsed if raw is not None else None)
    except DatabaseError:
        logger.warning("a group of %d messages failed; processing them one by one", len(items))
        for pk, _raw, parsed in items:
            message_process(message_id=pk, parsed=parsed)


def _process_locked(message: InboundMessage, parsed: ParsedMessage | None) -> InboundMessage:
    """Process a locked row (see `message_process`), in the caller's transaction."""
    if message.status not in (MessageStatus.PENDING, MessageStatus.FAILED):
        return message
    message.attempts += 1
    try:
        with transaction.atomic():
            if parsed is None:
                parsed = parse(bytes(message.raw))
            outcome = intake(message, parsed)
    except (ValidationError, ApplicationError, PermissionDenied) as error:
        _failed(message, _error_text(error), "")
    except Exception as error:  # noqa: BLE001 - nothing a message holds may stop intake
        logger.exception("inbound message %s failed", message.pk)
        _failed(message, f"{type(error).__name__}: {error}", traceback.format_exc())
    else:
        _done(message, outcome)
    message.save(update_fields=PROCESSED_FIELDS)
    if message.status == MessageStatus.REFUSED and getattr(message, "_polite", False):
        parsed = parsed or parse(bytes(message.raw))
        if not parsed.auto_reason:
            notify(message, "refused", addresses=[parsed.reply_to or parsed.sender])
    return message


def _commit_without_flush() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
        return " ".join(error.messages)
    return str(error)


def _failed(message: InboundMessage, reason: str, trace: str) -> None:
    message.status = MessageStatus.FAILED
    message.reason = reason[:4000]
    message.error = trace[-8000:]
    message.processed_at = timezone.now()


def _done(message: InboundMessage, outcome: Outcome) -> None:
    message.status = outcome.status
    message.reason = outcome.reason
    if outcome.notes:
        message.reason += "\n" + "\n".join(outcome.notes)
    message.error = ""
    message.processed_at = timezone.now()
    record = outcome.record
    if record is not None:
        from django.contrib.contenttypes.models import ContentType

        message.content_type = ContentType.objects.get_for_model(record)
        message.object_id = record.pk
        message.record_number = getattr(record, "number", "")
    message.comment_id = outcome.comment_id
    message._polite = outcome.polite_reply  # type: ignore[attr-defined]


def message_retry(*, message_id: int, actor) -> InboundMessage:
    """An administrator's retry of a failed message (the admin's action)."""
    _ensure_admin(actor)
    return message_process(message_id=message_id)


def message_receive(*, mailbox: Mailbox, raw: bytes, source_uid: str = "") -> InboundMessage:
    """Store, then process: what the endpoint, the pipe command and the poller do."""
    message, _created = message_store(mailbox=mailbox, raw=raw, source_uid=source_uid)
    if message.status == MessageStatus.PENDING:  # failed ones wait for an administrator
        message = message_process(message_id=message.pk)
    return message


def messages_process_stuck(*, limit: int = 200) -> int:
    """Process messages stored but never processed (a worker died in between): the beat's
    catch-up. Rows a worker holds are skipped."""
    cutoff = timezone.now() - STUCK_AFTER
    ids = list(
        InboundMessage.objects.filter(status=MessageStatus.PENDING, received_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        message_process(message_id=pk)
    return len(ids)


# --- Polling ---------------------------------------------------------------------------------


def _take_lease(mailbox_id: int) -> bool:
    """One poller per mailbox: a lease taken by a conditional UPDATE (no transaction held
    open during the network conversation; a dead worker's lease runs out)."""
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox_id, is_active=True)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=now + POLL_LEASE)
    )


def _release_lease(mailbox_id: int, **fields: Any) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(poll_lease_until=None, **fields)


def mailbox_poll(
    *, mailbox_id: int, client_factory: Callable[[Mailbox], fetchers.Client] | None = None
) -> int | None:
    """Read a mailbox once: every new message is stored, marked on the server as the mailbox
    says (seen, moved, deleted), then processed. Returns how many were read, or None when
    another worker holds the mailbox. A connection failure is kept on the mailbox (the admin
    and /health/ show it) and raised no further."""
    if not _take_lease(mailbox_id):
        return None
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    factory = client_factory or fetchers.client_for
    read = 0
    try:
        with factory(mailbox) as client:
            chunk: list[tuple[str, bytes]] = []
            for uid, raw in client.new_messages(known=_known_uids(mailbox)):
                chunk.append((uid, raw))
                if len(chunk) >= POLL_CHUNK:
                    read += _take(mailbox, client, chunk)
                    chunk = []
            read += _take(mailbox, client, chunk)
    except fetchers.FetchError as error:
        _release_lease(
            mailbox_id,
            last_polled_at=timezone.now(),
            last_error=str(error)[:2000],
            last_error_at=timezone.now(),
        )
        logger.warning("mailbox %s: %s", mailbox.name, error)
        return read
    except BaseException:
        _release_lease(mailbox_id)
        raise
    _release_lease(mailbox_id, last_polled_at=timezone.now(), last_error="")
    return read


def _take(mailbox: Mailbox, client: fetchers.Client, chunk: list[tuple[str, bytes]]) -> int:
    """Store a chunk of read messages in one transaction, mark them on the server in one
    command, then process them (`messages_process`: one transaction, a savepoint each), each
    parsed once."""
    if not chunk:
        return 0
    parsed = [
        _parse_or_none(raw) if len(raw) <= mailbox.max_message_bytes else None
        for _uid, raw in chunk
    ]
    stored = messages_store(
        mailbox=mailbox,
        items=[(uid, raw, one) for (uid, raw), one in zip(chunk, parsed, strict=True)],
    )
    client.done_many([uid for uid, _raw in chunk])
    # A row stored earlier holds the bytes read first: those are parsed again.
    messages_process(
        items=[
            (message.pk, raw, one) if created else (message.pk, None, None)
            for (message, created), (_uid, raw), one in zip(stored, chunk, parsed, strict=True)
            if message.status == MessageStatus.PENDING
        ]
    )
    return len(chunk)


def _parse_or_none(raw: bytes) -> ParsedMessage | None:
    """A message the parser cannot read is stored all the same and fails at processing."""
    try:
        return parse(raw)
    except Exception:  # noqa: BLE001 - processing parses it again and keeps the error
        return None


def _known_uids(mailbox: Mailbox) -> Callable[[list[str]], set[str]]:
    """For servers that keep read mail (POP3): which of these server ids are stored already."""

    def known(uids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            found |= set(
                InboundMessage.objects.filter(mailbox=mailbox, source_uid__in=chunk).values_list(
                    "source_uid", flat=True
                )
            )
        return found

    return known


def mailboxes_due(*, now=None) -> list[int]:
    """The active mailboxes to poll now (their interval since the last poll has passed)."""
    now = now or timezone.now()
    due = []
    for pk, last, interval in (
        Mailbox.objects.filter(is_active=True)
        .exclude(protocol="pipe")
        .values_list("pk", "last_polled_at", "poll_interval_seconds")
    ):
        if last is None or last + timedelta(seconds=interval) <= now:
            due.append(pk)
    return due


# Watchers: people who follow a record by mail (its public replies and its resolution, never
# its work notes; inbound/outgoing.py adds them to those messages). Any record type.


def _ensure_may_watch(actor, record) -> None:
    actor_required(actor)
    if can_see_internal(actor):
        return
    if record.requester_id != actor.pk:
        raise PermissionDenied(_("You can only add watchers to your own records."))


@transaction.atomic
def watcher_add(*, record, actor, user=None, address: str = "") -> Watcher:
    """Someone follows the record by mail: a person (their address) or a plain address. Staff
    add anyone; a requester adds a colleague to their own record. The same address twice is a
    field error. An agent-only audit row names the watcher."""
    _ensure_may_watch(actor, record)
    address = (user.email if user is not None else address).strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"address": [_("Enter a valid e-mail address.")]}) from None
    if user is None:
        user = User.objects.filter(email__iexact=address, is_active=True).first()
    content_type = ContentType.objects.get_for_model(type(record))
    if record.requester_id and user is not None and user.pk == record.requester_id:
        raise ValidationError({"address": [_("The requester already gets every public update.")]})
    watcher, created = Watcher.objects.get_or_create(
        content_type=content_type, object_id=record.pk, address=address,
        defaults={"user": user},
    )  # fmt: skip
    if not created:
        raise ValidationError(
            {"address": [_("%(address)s already watches this record.") % {"address": address}]}
        )
    record_event(
        record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="watchers",
        new_value=address, new_text=address, public=False,
    )  # fmt: skip
    return watcher


@transaction.atomic
def watcher_remove(*, record, actor, watcher_id: int) -> None:
    _ensure_may_watch(actor, record)
    watcher = Watcher.objects.filter(
        pk=watcher_id, content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
    ).first()  # fmt: skip
    if watcher is None:
        raise ValidationError({"watcher": [_("This person no longer watches the record.")]})
    watcher.delete()
    record_event(
        record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="watchers",
        old_value=watcher.address, old_text=watcher.address, public=False,
    )  # fmt: skip
