"""Outgoing mail that threads: the headers every notification carries, and its watchers.

Registered on the outbox (servicedesk.notifications) from InboundConfig.ready():
- each message gets a Message-ID the desk stores on the record's thread (`MessageRef`, sent),
  so a reply's In-Reply-To finds the record;
- In-Reply-To and References name the record's thread (the message that opened it and the
  latest ones), so mail clients group a record's mail;
- Reply-To is the mailbox the record came in through (else the first mailbox with a reply
  address), so replies come back to intake;
- `Auto-Submitted: auto-generated` (RFC 3834) and `X-Auto-Response-Suppress: All` keep
  auto-responders quiet, and `X-Servicedesk-Loop` lets intake drop the desk's own mail;
- the record number is in the subject (`[INC0000123]`), added when a renderer left it out;
- an agent's public reply (kind "replied") also goes to the record's watchers.
"""

from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from inbound.choices import Direction
from inbound.models import InboundMessage, Mailbox, MessageRef, Watcher

THREAD_REFERENCES = 10
WATCHED_KINDS = {"replied", "resolved"}


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "servicedesk.invalid"


def _record(notification):
    model = ContentType.objects.get_for_id(notification.content_type_id).model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=notification.object_id).first()


def watcher_addresses(notification) -> list[str]:
    if notification.kind not in WATCHED_KINDS:
        return []
    return list(
        Watcher.objects.filter(
            content_type_id=notification.content_type_id, object_id=notification.object_id
        )
        .order_by("pk")
        .values_list("address", flat=True)
    )


def _reply_address(content_type_id: int, object_id: int) -> str:
    came_in = (
        InboundMessage.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .exclude(mailbox__reply_address="")
        .order_by("pk")
        .values_list("mailbox__reply_address", flat=True)
        .first()
    )
    if came_in:
        return came_in
    return (
        Mailbox.objects.filter(is_active=True)
        .exclude(reply_address="")
        .order_by("pk")
        .values_list("reply_address", flat=True)
        .first()
        or ""
    )


def threading_headers(notification, address: str, subject: str):
    """(subject, headers, reply_to) of one outgoing message; stores its Message-ID."""
    message_id = make_msgid(domain=_domain())
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Servicedesk-Loop": _domain(),
    }
    if notification.content_type.model_class() is InboundMessage:
        original = InboundMessage.objects.filter(pk=notification.object_id).first()
        if original is not None and original.message_id:
            headers["In-Reply-To"] = headers["References"] = f"<{original.message_id}>"
        headers["Auto-Submitted"] = "auto-replied"
        return subject, headers, []
    thread = list(
        MessageRef.objects.filter(
            content_type_id=notification.content_type_id, object_id=notification.object_id
        )
        .order_by("-created_at", "-pk")
        .values_list("message_id", flat=True)[:THREAD_REFERENCES]
    )
    first = (
        MessageRef.objects.filter(
            content_type_id=notification.content_type_id, object_id=notification.object_id
        )
        .order_by("created_at", "pk")
        .values_list("message_id", flat=True)
        .first()
    )
    if thread:
        references = list(reversed(thread))
        if first and first not in references:
            references.insert(0, first)
        headers["In-Reply-To"] = f"<{thread[0]}>"
        headers["References"] = " ".join(f"<{ref}>" for ref in references)
    record = _record(notification)
    number = getattr(record, "number", "")
    if number and f"[{number}]" not in subject:
        subject = f"[{number}] {subject}"
    MessageRef.objects.create(
        message_id=message_id.strip("<>"),
        direction=Direction.SENT,
        content_type_id=notification.content_type_id,
        object_id=notification.object_id,
    )
    reply_to = _reply_address(notification.content_type_id, notification.object_id)
    return subject, headers, [reply_to] if reply_to else []


def register_outgoing() -> None:
    from servicedesk.notifications import HEADER_HOOKS, RECIPIENT_HOOKS

    if threading_headers not in HEADER_HOOKS:
        HEADER_HOOKS.append(threading_headers)
    if watcher_addresses not in RECIPIENT_HOOKS:
        RECIPIENT_HOOKS.append(watcher_addresses)
