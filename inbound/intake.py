"""What a stored message becomes: a new record, a reply on one, or a refusal with its reason.

Called by `services.message_process` inside its transaction, with the message row locked.
Every write goes through the record services as the pages and the API do: a new record
through its type's create service (the registry's `channel_create`: incidents, service
requests), replies, files and notes through the kernel's `record_comment`/`record_attach` for
any registered type; automation acts as the system actor, people's replies as themselves.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, can_see_internal
from inbound.body import description_html, reply_text, text_to_html
from inbound.choices import Direction, MessageStatus, RuleField, UnknownSenders
from inbound.models import BouncedAddress, IgnoreRule, InboundMessage, MessageRef, Watcher
from inbound.parser import ParsedMessage
from incidents import services as incidents
from incidents.choices import Channel, IncidentStatus
from incidents.models import Incident
from incidents.workflow import reopen_window
from servicedesk import registry
from servicedesk import services as kernel
from servicedesk.actors import system_actor
from servicedesk.attachments import attachment_check
from servicedesk.models import LinkKind, Visibility

LOOP_HEADER = "X-Servicedesk-Loop"
ORIGINAL_NAME = "original-message.eml"


@dataclass
class Outcome:
    status: str
    reason: str = ""
    record: Any = None
    comment_id: int | None = None
    polite_reply: bool = False
    notes: list[str] = field(default_factory=list)


_CACHE_SECONDS = 10.0
_cache: dict[str, tuple[float, Any]] = {}


def _cached(name: str, load):
    """Reference data read at most every few seconds per process (the intake's hot path)."""
    now = time.monotonic()
    hit = _cache.get(name)
    if hit is None or now - hit[0] > _CACHE_SECONDS:
        hit = _cache[name] = (now, load())
    return hit[1]


def forget_cached() -> None:
    _cache.clear()


def own_addresses() -> set[str]:
    """The addresses the desk sends from: mail from them is the desk talking to itself."""
    return _cached("own", _own_addresses)


def _ignore_rules() -> list[IgnoreRule]:
    return _cached("rules", lambda: list(IgnoreRule.objects.filter(is_active=True)))


def _own_addresses() -> set[str]:
    from inbound.models import Mailbox

    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    addresses |= {
        address.lower()
        for address in Mailbox.objects.exclude(reply_address="").values_list(
            "reply_address", flat=True
        )
    }
    addresses |= {
        username.lower()
        for username in Mailbox.objects.filter(username__contains="@").values_list(
            "username", flat=True
        )
    }
    return {address for address in addresses if address}


def screen(message: InboundMessage, parsed: ParsedMessage) -> Outcome | None:
    """Loops, bounces, machines and junk: the Outcome that ends here, or None to go on."""
    if not parsed.sender:
        return Outcome(MessageStatus.REFUSED, _("The message has no sender address."))
    if parsed.loop_marker or parsed.sender in own_addresses():
        return Outcome(MessageStatus.IGNORED, _("Sent by the service desk itself (mail loop)."))
    if (
        parsed.message_id
        and MessageRef.objects.filter(
            message_id=parsed.message_id, direction=Direction.SENT
        ).exists()
    ):
        return Outcome(MessageStatus.IGNORED, _("A message the service desk sent came back."))
    if parsed.is_bounce:
        for address, reason in parsed.bounced:
            bounced_address_mark(address=address, reason=reason)
        addresses = ", ".join(address for address, _reason in parsed.bounced) or "-"
        return Outcome(MessageStatus.BOUNCE, _("Delivery failed to: %s") % addresses)
    if parsed.auto_reason:
        return Outcome(
            MessageStatus.IGNORED, _("Automatic message (%s): not answered.") % parsed.auto_reason
        )
    for rule in _ignore_rules():
        value = parsed.sender if rule.field == RuleField.SENDER else parsed.subject
        if fnmatch.fnmatchcase(value.lower(), rule.pattern.lower()):
            return Outcome(MessageStatus.IGNORED, _("Ignore rule: %s") % rule)
    mailbox = message.mailbox
    if mailbox.sender_hourly_limit and _recent_from(message, parsed) >= mailbox.sender_hourly_limit:
        return Outcome(
            MessageStatus.IGNORED,
            _("More than %(limit)d messages from %(sender)s in an hour.")
            % {"limit": mailbox.sender_hourly_limit, "sender": parsed.sender},
        )
    return None


def _recent_from(message: InboundMessage, parsed: ParsedMessage) -> int:
    """How many of the sender's messages became tickets or replies in the last hour."""
    return (
        InboundMessage.objects.filter(
            sender=parsed.sender,
            received_at__gte=timezone.now() - timedelta(hours=1),
            status__in=(MessageStatus.TICKET, MessageStatus.REPLY),
        )
        .exclude(pk=message.pk)
        .count()
    )


def bounced_address_mark(*, address: str, reason: str) -> BouncedAddress:
    """Count a bounce of the desk's own mail against the recipient's address."""
    row, _created = BouncedAddress.objects.select_for_update().get_or_create(address=address)
    row.bounces += 1
    row.last_bounced_at = timezone.now()
    row.last_reason = reason[:2000]
    row.save()
    return row


def thread_record(parsed: ParsedMessage):
    """The record a reply belongs to: by In-Reply-To/References against the Message-IDs the
    desk sent and received, then by the record number in the subject. None when neither."""
    ids = parsed.thread_ids
    if ids:
        ref = (
            MessageRef.objects.filter(message_id__in=ids)
            .select_related("content_type")
            .order_by("-created_at", "-pk")
            .first()
        )
        if ref is not None:
            model = ref.content_type.model_class()
            record = model._default_manager.filter(pk=ref.object_id).first() if model else None
            if record is not None:
                return record
    for number in parsed.numbers_in_subject:
        record_type = registry.for_number(number)
        if record_type is not None:
            record = record_type.model_class._default_manager.filter(number=number).first()
            if record is not None:
                return record
    return None


def remember(record, message_id: str, direction: str = Direction.RECEIVED) -> None:
    """Keep a Message-ID on the record's thread."""
    if message_id:
        MessageRef.objects.create(
            message_id=message_id[:255],
            direction=direction,
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
        )


def _find_user(address: str):
    return get_user_model().objects.filter(email__iexact=address).first()


def requester_for(mailbox, parsed: ParsedMessage):
    """The sender's account, a new end-user account, or None (refused) per the mailbox."""
    user = _find_user(parsed.sender)
    if user is not None:
        return user if user.is_active else None
    if mailbox.unknown_senders != UnknownSenders.CREATE:
        return None
    user = get_user_model().objects.create_user(
        email=parsed.sender,
        password=None,
        full_name=(parsed.sender_name or parsed.sender.split("@")[0])[:150],
    )
    group = Group.objects.filter(name=Role.END_USER).first()
    if group is not None:
        user.groups.add(group)
    return user


def _files(parsed: ParsedMessage, raw: bytes, notes: list[str]) -> list[ContentFile]:
    """The message's files that pass the upload checks, and the original as an .eml; those
    refused are named in `notes`."""
    accepted = []
    for part in parsed.parts:
        if not part.data:
            continue
        upload = ContentFile(part.data, name=part.filename)
        try:
            attachment_check(upload)
        except ValidationError as error:
            notes.append(f"{part.filename}: {' '.join(error.messages)}")
            continue
        accepted.append(upload)
    original = ContentFile(raw, name=ORIGINAL_NAME)
    try:
        attachment_check(original)
    except ValidationError as error:
        notes.append(f"{ORIGINAL_NAME}: {' '.join(error.messages)}")
    else:
        accepted.append(original)
    return accepted


def _refused_files_note(record, notes: list[str]) -> None:
    if notes:
        kernel.record_comment(
            model=type(record),
            record_id=record.pk,
            actor=system_actor(),
            body=text_to_html(
                _("Files of the e-mail that were not accepted:") + "\n" + "\n".join(notes)
            ),
            visibility=Visibility.INTERNAL,
        )


def _add_watchers(record, mailbox, parsed: ParsedMessage, requester) -> None:
    """The Cc addresses as watchers of a new record, in one statement."""
    skip = own_addresses() | {parsed.sender, requester.email.lower()}
    if mailbox.username:
        skip.add(mailbox.username.lower())
    content_type = ContentType.objects.get_for_model(record)
    addresses = list(dict.fromkeys(address for address in parsed.cc if address not in skip))
    if not addresses:
        return
    users = {
        email: pk
        for pk, email in get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=addresses)
        .values_list("pk", "address")
    }
    Watcher.objects.bulk_create(
        [
            Watcher(
                content_type=content_type,
                object_id=record.pk,
                address=address,
                user_id=users.get(address),
            )
            for address in addresses
        ],
        ignore_conflicts=True,
    )


def mailbox_record_type(mailbox) -> registry.RecordType:
    """The record type new mail of `mailbox` becomes: one a channel may open (the registry's
    `channel_create`); ValidationError (the message fails, retryable) for any other."""
    try:
        record_type = registry.get(mailbox.record_type)
    except KeyError:
        record_type = None
    if record_type is None or not record_type.channel_create:
        raise ValidationError(
            {
                "record_type": [
                    _("New mail cannot become “%(type)s”.") % {"type": mailbox.record_type}
                ]
            }
        )
    return record_type


def _defaults(mailbox) -> dict[str, Any]:
    """What the mailbox gives its new records; each record type reads what it knows."""
    return {
        "support_group": mailbox.support_group if mailbox.support_group_id else None,
        "category": mailbox.category if mailbox.category_id else None,
        "service": mailbox.service if mailbox.service_id else None,
        "item": mailbox.request_item if mailbox.request_item_id else None,
        "impact": mailbox.impact,
        "urgency": mailbox.urgency,
    }


def new_ticket(message: InboundMessage, parsed: ParsedMessage, *, related=None) -> Outcome:
    """A new record of the mailbox's type from the message, through the type's create service
    (the registry's `channel_create`) as the system actor: the sender as requester, the Cc as
    watchers, the mailbox's defaults, the files through the upload checks."""
    mailbox = message.mailbox
    record_type = mailbox_record_type(mailbox)
    requester = requester_for(mailbox, parsed)
    if requester is None:
        return Outcome(
            MessageStatus.REFUSED,
            _(
                "%(sender)s has no active account and this mailbox accepts mail from known people only."
            )
            % {"sender": parsed.sender},
            polite_reply=True,
        )
    record = record_type.call("channel_create")(
        actor=system_actor(),
        requester=requester,
        title=(parsed.subject or _("(no subject)"))[:200],
        description=description_html(text=parsed.text, html=parsed.html),
        channel=Channel.EMAIL,
        defaults=_defaults(mailbox),
    )
    notes: list[str] = []
    for upload in _files(parsed, bytes(message.raw), notes):
        # The record was created in this transaction (locked, not final): its files go
        # through the kernel's checks (size, type by content) as an order's files do.
        kernel.attachment_add(record=record, uploaded_by=requester, file=upload)
    _refused_files_note(record, notes)
    _add_watchers(record, mailbox, parsed, requester)
    if related is not None:
        kernel.record_link_add(
            source=record, target=related, kind=LinkKind.RELATED_TO, actor=system_actor()
        )
    remember(record, parsed.message_id)
    names = {"number": record.number, "type": record_type.name}
    if related is None:
        reason = _("New %(type)s %(number)s.") % names
    else:
        reason = _("New %(type)s %(number)s, related to %(other)s.") % {
            **names,
            "other": related.number,
        }
    return Outcome(MessageStatus.TICKET, reason, record=record, notes=notes)


def _can_reopen(incident: Incident) -> bool:
    if incident.status != IncidentStatus.RESOLVED:
        return False
    resolved_at = incident.resolved_at or timezone.now()
    return timezone.now() <= resolved_at + reopen_window()


def _sees(user, record_type: registry.RecordType, record) -> bool:
    return record_type.visible(user).filter(pk=record.pk).exists()


def reply(message: InboundMessage, parsed: ParsedMessage, record) -> Outcome:
    """A reply on `record`, of any registered type, through the kernel's `record_comment`:
    a public comment from its requester (who must see it through the type's own selector;
    a resolved incident within the reopen window is reopened first), a staff member's reply,
    or a work note (the marker; always on the types the portal does not show: tasks, problems,
    changes). A reply to a closed record from its requester, or from anyone else, opens a new
    record (the mailbox's type) linked to it; a staff reply to a closed record, or to one the
    staff member may not see, is refused."""
    record_type = registry.for_model(record)
    if record_type is None:
        return Outcome(
            MessageStatus.REFUSED,
            _("%(number)s takes no replies by e-mail.") % {"number": record.number},
        )
    mailbox = message.mailbox
    user = _find_user(parsed.sender)
    active = user is not None and user.is_active
    staff = active and can_see_internal(user)
    if staff and not _sees(user, record_type, record):
        return Outcome(
            MessageStatus.REFUSED,
            _("%(sender)s may not see %(number)s; the reply is not added.")
            % {"sender": parsed.sender, "number": record.number},
        )
    if not staff and (
        not active or user.pk != record.requester_id or not _sees(user, record_type, record)
    ):
        return new_ticket(message, parsed, related=record)
    final = record_type.workflow.is_final(record.status)
    reopen = False
    if not staff and isinstance(record, Incident) and record.status == IncidentStatus.RESOLVED:
        reopen = _can_reopen(record)
        final = not reopen
    if final:
        if staff:
            return Outcome(
                MessageStatus.REFUSED,
                _("%(number)s is closed; a staff reply to it is not added.")
                % {"number": record.number},
            )
        return new_ticket(message, parsed, related=record)
    body = reply_text(text=parsed.text, html=parsed.html)
    visibility = Visibility.PUBLIC
    marker = mailbox.staff_note_marker.strip()
    if staff and marker and (marker in body or marker in parsed.subject):
        visibility = Visibility.INTERNAL
        body = body.replace(marker, "").strip()
    if staff and not record_type.in_portal:
        visibility = Visibility.INTERNAL
    if not body:
        body = _("(The e-mail had no text of its own; the original is attached.)")
    if reopen:
        target = IncidentStatus.IN_PROGRESS if record.assignee_id else IncidentStatus.NEW
        incidents.incident_transition(
            incident_id=record.pk,
            actor=user,
            target=target,
            note=_("Reopened by the requester's e-mail."),
        )
    notes: list[str] = []
    files = _files(parsed, bytes(message.raw), notes)
    comment = kernel.record_comment(
        model=type(record),
        record_id=record.pk,
        actor=user,
        body=text_to_html(body),
        visibility=visibility,
        files=files,
    )
    _refused_files_note(record, notes)
    remember(record, parsed.message_id)
    return Outcome(
        MessageStatus.REPLY,
        _("Reply on %(number)s.") % {"number": record.number},
        record=record,
        comment_id=comment.pk,
        notes=notes,
    )


def intake(message: InboundMessage, parsed: ParsedMessage) -> Outcome:
    """The whole decision for one message."""
    screened = screen(message, parsed)
    if screened is not None:
        return screened
    record = thread_record(parsed)
    if record is not None:
        return reply(message, parsed, record)
    return new_ticket(message, parsed)
