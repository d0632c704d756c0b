"""The e-mail channel's data: mailboxes, every message received (stored before it is
processed), the thread map of Message-IDs, watchers, ignore rules and bounced addresses."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbound.choices import (
    AfterRead,
    AuthMethod,
    Direction,
    MessageStatus,
    Protocol,
    RuleField,
    Security,
    UnknownSenders,
)
from inbound.crypto import decrypt, encrypt


class Mailbox(models.Model):
    """A mailbox the desk reads (IMAP, POP3, a local Maildir) or that a mail server hands
    messages to (the inbound endpoint, `manage.py inbound_email`). New mail becomes a record
    of `record_type` with the mailbox's defaults; replies go out from `reply_address`.

    The password or OAuth2 token is kept encrypted (`inbound.crypto`, a key from the
    environment) and never shown again; the endpoint token is kept as a hash.
    """

    name = models.SlugField(_("name"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    protocol = models.CharField(_("protocol"), max_length=10, choices=Protocol.choices)
    host = models.CharField(_("server"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    security = models.CharField(
        _("connection security"), max_length=10, choices=Security.choices, default=Security.TLS
    )
    auth_method = models.CharField(
        _("sign-in"), max_length=10, choices=AuthMethod.choices, default=AuthMethod.PASSWORD
    )
    username = models.CharField(_("user name"), max_length=255, blank=True)
    secret_encrypted = models.TextField(editable=False, blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX", blank=True)
    maildir_path = models.CharField(_("Maildir path"), max_length=500, blank=True)
    after_read = models.CharField(
        _("after reading"), max_length=10, choices=AfterRead.choices, default=AfterRead.SEEN
    )
    move_to = models.CharField(_("move to folder"), max_length=255, blank=True)
    poll_interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    max_message_bytes = models.PositiveIntegerField(
        _("largest message (bytes)"), default=25 * 1024 * 1024
    )
    record_type = models.CharField(_("new mail becomes"), max_length=30, default="incident")
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("support group"),
    )
    category = models.ForeignKey(
        "incidents.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    request_item = models.ForeignKey(
        "catalogue.RequestItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request item"),
        help_text=_("What new mail orders when it becomes a service request."),
    )
    impact = models.CharField(_("impact"), max_length=10, default="low")
    urgency = models.CharField(_("urgency"), max_length=10, default="medium")
    reply_address = models.EmailField(_("replies go out from"), blank=True)
    unknown_senders = models.CharField(
        _("unknown senders"),
        max_length=10,
        choices=UnknownSenders.choices,
        default=UnknownSenders.CREATE,
    )
    staff_note_marker = models.CharField(
        _("internal note marker"),
        max_length=40,
        blank=True,
        help_text=_("A staff reply containing this text (e.g. #internal) becomes a work note."),
    )
    sender_hourly_limit = models.PositiveIntegerField(_("messages per sender per hour"), default=20)
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value) if value else ""

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)


class InboundMessage(models.Model):
    """One message as received, stored before it is processed: the raw bytes, the headers
    threading needs, what became of it (a record, a reply, a refusal and why) and the error
    when processing failed. `source_key` (the Message-ID, or a hash of the bytes when there is
    none) is unique, so a message read twice is taken once."""

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("mailbox")
    )
    source_key = models.CharField(max_length=255, unique=True)
    source_uid = models.CharField(max_length=255, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("sender"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    raw = models.BinaryField()
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    record_number = models.CharField(_("record"), max_length=20, blank=True)
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        indexes = [
            models.Index(fields=["status", "id"], name="inbound_msg_status_id"),
            models.Index(fields=["mailbox", "source_uid"], name="inbound_msg_mailbox_uid"),
            models.Index(fields=["mailbox", "status"], name="inbound_msg_mailbox_status"),
            models.Index(fields=["content_type", "object_id"], name="inbound_msg_record"),
            models.Index(fields=["sender", "received_at"], name="inbound_msg_sender_at"),
            models.Index(fields=["comment_id"], name="inbound_msg_comment"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            )
        ]

    def __str__(self):
        return f"{self.sender}: {self.subject}"


class MessageRef(models.Model):
    """A Message-ID the desk sent or received, and the record it belongs to: replies are
    threaded by their In-Reply-To and References against these."""

    message_id = models.CharField(max_length=255)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["message_id"], name="inbound_ref_message_id"),
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="inbound_ref_record"
            ),
        ]

    def __str__(self):
        return self.message_id


class Watcher(models.Model):
    """Someone who follows a record by mail (the Cc of the message that opened it)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    address = models.EmailField(_("address"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "address"],
                name="%(app_label)s_%(class)s_unique",
            )
        ]

    def __str__(self):
        return self.address


class IgnoreRule(models.Model):
    """Mail an administrator wants dropped: a sender address or subject matching a pattern
    (shell-style, case-insensitive: `*@newsletter.example`, `*out of office*`)."""

    field = models.CharField(_("field"), max_length=10, choices=RuleField.choices)
    pattern = models.CharField(_("pattern"), max_length=255)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ignore rule")
        verbose_name_plural = _("ignore rules")

    def __str__(self):
        return f"{self.get_field_display()}: {self.pattern}"


class BouncedAddress(models.Model):
    """An address the desk's own mail bounced from (a delivery status report came back)."""

    address = models.EmailField(_("address"), unique=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=0)
    last_bounced_at = models.DateTimeField(_("last bounce"), default=timezone.now)
    last_reason = models.TextField(_("last reason"), blank=True)

    class Meta:
        verbose_name = _("bounced address")
        verbose_name_plural = _("bounced addresses")

    def __str__(self):
        return self.address
