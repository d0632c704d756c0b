from django.db import models
from django.utils.translation import gettext_lazy as _


class Protocol(models.TextChoices):
    IMAP = "imap", _("IMAP")
    POP3 = "pop3", _("POP3")
    MAILDIR = "maildir", _("Local Maildir")
    PIPE = "pipe", _("Handed over by the mail server only (endpoint or pipe)")


class Security(models.TextChoices):
    TLS = "tls", _("TLS (implicit, e.g. IMAPS port 993)")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (local test servers only)")


class AuthMethod(models.TextChoices):
    PASSWORD = "password", _("Password")
    XOAUTH2 = "xoauth2", _("OAuth2 access token (XOAUTH2)")


class AfterRead(models.TextChoices):
    SEEN = "seen", _("Mark as seen")
    MOVE = "move", _("Move to a folder")
    DELETE = "delete", _("Delete")


class UnknownSenders(models.TextChoices):
    CREATE = "create", _("Create an end-user account")
    REFUSE = "refuse", _("Refuse with a polite reply")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    TICKET = "ticket", _("New record")
    REPLY = "reply", _("Reply on a record")
    REFUSED = "refused", _("Refused")
    IGNORED = "ignored", _("Ignored")
    BOUNCE = "bounce", _("Bounce")
    FAILED = "failed", _("Failed")


DONE_STATUSES = (
    MessageStatus.TICKET,
    MessageStatus.REPLY,
    MessageStatus.REFUSED,
    MessageStatus.IGNORED,
    MessageStatus.BOUNCE,
)


class Direction(models.TextChoices):
    RECEIVED = "in", _("Received")
    SENT = "out", _("Sent")


class RuleField(models.TextChoices):
    SENDER = "sender", _("Sender address")
    SUBJECT = "subject", _("Subject")
