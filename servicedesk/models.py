"""The shared kernel's data: the abstract base record and the rows every record type shares.

Audit events, comments and attachments point at their record through a content type and an id,
so one timeline table serves incidents, requests, problems and changes alike. Each is indexed on
(content type, object id, created at): a record's timeline is one index range scan.
"""

import os
import secrets
from typing import TYPE_CHECKING, ClassVar, Self

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk import registry


class _VisibleTo:
    """`Model.VISIBLE_TO`: the `visible_to` path of the model's entry in the record registry."""

    def __get__(self, instance, owner):
        record_type = registry.for_model(owner)
        return record_type.visible_to if record_type is not None else None


if TYPE_CHECKING:
    from servicedesk.workflow import Workflow


class BaseRecord(models.Model):
    """What every ITIL record has: a number, who asked, who owns it, a status and a version.

    Subclasses set NUMBER_PREFIX (e.g. "INC"), a `status` choices set and a `WORKFLOW`, add a
    migration with `number_sequence(PREFIX)` and declare their type in the registry
    (servicedesk/registry.py). Every write goes through the app's services.
    """

    NUMBER_PREFIX: ClassVar[str]
    # Dotted path of the selector `f(user) -> QuerySet` that decides who sees which record, as the
    # record type's registry entry declares it (None when the type is not registered). The
    # kernel's pages that reach a record through one of its rows (an attachment's download) ask
    # it, so they show exactly what the record's own pages show. Without one nobody gets in.
    VISIBLE_TO = _VisibleTo()
    if TYPE_CHECKING:
        WORKFLOW: ClassVar[Workflow]
        # Every concrete record type has the default manager; the abstract base declares it
        # for the type checker only, so no model's managers change.
        objects: ClassVar[models.Manager[Self]]

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_requested",
        verbose_name=_("requester"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("organisation"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("support group"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_assigned",
        verbose_name=_("assignee"),
    )
    status = models.CharField(_("status"), max_length=32)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.number} {self.title}"


class NumberCounter(models.Model):
    """Per-prefix counter behind record numbers on databases without sequences (SQLite)."""

    prefix = models.CharField(max_length=10, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.prefix}: {self.value}"


class ExternalKey(models.Model):
    """The id a row (a person, a group, a category, a record...) has in another tool, so an
    import finds it again: unique per model and source ("servicenow", "helpdesk", "hr")."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    source = models.SlugField(_("source"), max_length=40)
    value = models.CharField(_("external id"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "source", "value"], name="%(app_label)s_%(class)s_once"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="extkey_object_idx")]

    def __str__(self):
        return f"{self.source}:{self.value}"


class RecordRowMixin(models.Model):
    """Points a timeline row at its record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]


class AuditKind(models.TextChoices):
    CREATED = "created", _("Created")
    FIELD_CHANGED = "field_changed", _("Changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    COMMENTED = "commented", _("Commented")
    ATTACHED = "attached", _("File attached")
    ESCALATED = "escalated", _("Escalated")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Link removed")
    MERGED = "merged", _("Merged")
    REDACTED = "redacted", _("Redacted")
    WORKAROUND_APPLIED = "workaround_applied", _("Workaround applied")
    IMPORTED = "imported", _("Imported")


class AuditEvent(RecordRowMixin):
    """One change to a record: who, when, which field, the old and new value (raw and shown).

    Written by services in the same transaction as the change itself (see `servicedesk.events`).
    Automation (a Celery task, an e-mail, a rule) is the system actor
    (`servicedesk.actors.system_actor`); a null actor is a person deleted since, or a row
    written before the system actor existed.
    """

    # Led by sd_audit_record_idx: no index of its own on a table written on every change.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=AuditKind.choices)
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    old_text = models.CharField(max_length=255, blank=True)
    new_text = models.CharField(max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(
        _("shown to the requester"),
        default=True,
        help_text=_("Internal events (assignments, escalations) are shown to agents only."),
    )

    class Meta(RecordRowMixin.Meta):
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="sd_audit_record_idx"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.field} {self.old_text} -> {self.new_text}"


class LinkKind(models.TextChoices):
    """How a record relates to another, read from the link's source: "A duplicate of B"."""

    RELATED_TO = "related_to", _("related to")
    DUPLICATE_OF = "duplicate_of", _("duplicate of")
    CAUSED_BY = "caused_by", _("caused by")
    FIXES = "fixes", _("fixes")
    PARENT_OF = "parent_of", _("parent of")


# The same links read from their target: "B has duplicate A".
LINK_REVERSE_LABELS = {
    LinkKind.RELATED_TO: _("related to"),
    LinkKind.DUPLICATE_OF: _("has duplicate"),
    LinkKind.CAUSED_BY: _("causes"),
    LinkKind.FIXES: _("fixed by"),
    LinkKind.PARENT_OF: _("child of"),
}


class RecordLink(models.Model):
    """A typed link between any two records (an incident and a request, two incidents...).

    Stored once, from its source; the target's pages read it with the reverse label. Written
    by `record_link_add`/`record_link_remove` only, each with an audit event on both records.
    """

    source_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("linked"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("record link")
        verbose_name_plural = _("record links")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="sd_link_target_idx"),
        ]
        constraints = [
            # Its first columns also serve "the links from a record".
            models.UniqueConstraint(
                fields=["source_type", "source_id", "target_type", "target_id", "kind"],
                name="%(app_label)s_%(class)s_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    source_type=models.F("target_type"), source_id=models.F("target_id")
                ),
                name="%(app_label)s_%(class)s_not_to_itself",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=LinkKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.source_type_id}:{self.source_id} {self.kind} {self.target_type_id}:{self.target_id}"


class ApprovalRule(models.TextChoices):
    """Who must approve a record. The record type says who its requester is and which service
    it is for (`registry.ApprovalHooks`); a group rule names the group on the approval set."""

    NONE = "none", _("No approval")
    MANAGER = "manager", _("The requester's manager")
    DEPARTMENT_MANAGER = "department_manager", _("The manager of the requester's department")
    SERVICE_OWNER = "service_owner", _("The service owner")
    GROUP_ANY = "group_any", _("A group: any one of its members")
    GROUP_ALL = "group_all", _("A group: all of its members")
    GROUP_QUORUM = "group_quorum", _("A group: a quorum of its members")


GROUP_RULES = (ApprovalRule.GROUP_ANY, ApprovalRule.GROUP_ALL, ApprovalRule.GROUP_QUORUM)


class ApprovalSetStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Withdrawn")


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NOT_NEEDED = "not_needed", _("No longer needed")


class ApprovalSet(models.Model):
    """One round of approval on a record (any record type): the rule it was asked under, the
    group a group rule names, and the quorum, the number of approvals that decide it.

    Approved once `quorum` approvers approved; rejected by one rejection, or under a quorum rule
    once too few approvers are left to reach it. Written by `servicedesk.approvals` only.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    rule = models.CharField(_("rule"), max_length=32, choices=ApprovalRule.choices)
    group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver group"),
    )
    quorum = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApprovalSetStatus.choices,
        default=ApprovalSetStatus.PENDING,
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval set")
        verbose_name_plural = _("approval sets")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="sd_apset_record_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ApprovalSetStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(rule__in=ApprovalRule.values),
                name="%(app_label)s_%(class)s_rule_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(quorum__gte=1), name="%(app_label)s_%(class)s_quorum_positive"
            ),
        ]

    def __str__(self):
        return f"{self.get_rule_display()}: {self.get_status_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalSetStatus.PENDING


class Approval(models.Model):
    """One approver's say in an approval set: the decision, when, why, and whether it came from
    the e-mail's signed link. Points at the record too (as the set does), so "the approvals of a
    record" and "the records a person approves" are one index scan each."""

    approval_set = models.ForeignKey(
        ApprovalSet, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("set")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("approver"),
    )
    decision = models.CharField(
        _("decision"), max_length=12, choices=Decision.choices, default=Decision.PENDING
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    via_link = models.BooleanField(_("decided from the e-mail link"), default=False)
    created_at = models.DateTimeField(_("asked"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [
            models.Index(
                fields=["approver", "created_at"],
                condition=models.Q(decision="pending"),
                name="sd_approval_waiting_idx",
            ),
            models.Index(
                fields=["approver", "content_type", "object_id"], name="sd_approval_approver_idx"
            ),
            models.Index(fields=["content_type", "object_id"], name="sd_approval_record_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["approval_set", "approver"], name="%(app_label)s_%(class)s_once"
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=Decision.values),
                name="%(app_label)s_%(class)s_decision_valid",
            ),
        ]

    def __str__(self):
        return f"{self.approver}: {self.get_decision_display()}"

    @property
    def rule(self) -> str:
        """The rule the approval was asked under (its set's)."""
        return self.approval_set.rule

    @property
    def is_pending(self) -> bool:
        return self.decision == Decision.PENDING


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal work note")


class RedactableMixin(models.Model):
    """Comments and files are append-only; an administrator may redact one (its content is
    removed, the row stays with who redacted it and when, and a `redacted` audit event)."""

    redacted_at = models.DateTimeField(_("redacted"), null=True, blank=True, editable=False)
    redacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("redacted by"),
    )

    class Meta:
        abstract = True

    @property
    def is_redacted(self) -> bool:
        return self.redacted_at is not None


class Comment(RedactableMixin, RecordRowMixin):
    """A public reply (the requester sees it) or an internal work note (agents only)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("text"))
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )

    class Meta(RecordRowMixin.Meta):
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="sd_comment_record_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values),
                name="%(app_label)s_%(class)s_visibility_valid",
            )
        ]

    def __str__(self):
        return f"{self.get_visibility_display()} by {self.author_id}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class Satisfaction(models.IntegerChoices):
    """The five answers of the satisfaction survey (ITIL.md, hotline satisfaction index)."""

    VERY_DISSATISFIED = 1, _("Very dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    NEUTRAL = 3, _("Neutral")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


class SatisfactionRating(RecordRowMixin):
    """The requester's rating of how a record was handled: 1-5 and an optional comment.

    One per record: rating again replaces the score. Feeds the satisfaction KPIs (mean rating and
    the hotline satisfaction index).
    """

    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("rating"), choices=Satisfaction.choices)
    comment = models.TextField(_("comment"), blank=True)

    class Meta(RecordRowMixin.Meta):
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        indexes = [models.Index(fields=["created_at"], name="sd_rating_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="sd_rating_one_per_record"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="sd_rating_score_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.score}/5"


def attachment_path(instance, filename):
    """`attachments/<year>/<month>/<32 random hex digits><extension>`.

    The original name stays in `Attachment.filename` only: a stored name nobody can guess, that
    no two uploads share, and that is plain ASCII for the headers a reverse proxy reads
    (X-Accel-Redirect, X-Sendfile). Files stored before keep their old names and still download.
    """
    extension = os.path.splitext(filename)[1].lower()
    if not (extension[1:].isascii() and extension[1:].isalnum() and len(extension) <= 10):
        extension = ""
    return timezone.now().strftime("attachments/%Y/%m/") + secrets.token_hex(16) + extension


class Attachment(RedactableMixin, RecordRowMixin):
    """A file on a record, optionally on one of its comments. Size and type checked on upload."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(_("type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )

    class Meta(RecordRowMixin.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="sd_attachment_record_idx"
            )
        ]

    def __str__(self):
        return self.filename

    def get_absolute_url(self) -> str:
        """The download link: the view checks who may have the file (`attachment_get`)."""
        return reverse("attachment_download", kwargs={"pk": self.pk})


class Notification(models.Model):
    """An e-mail to send, written in the same transaction as the change it tells about.

    An outbox: the change and its e-mail commit together or not at all. After the commit a worker
    is asked to send it; whatever the broker or the mail server misses is picked up by the
    sweep (beat), so nothing is lost when a service is down.
    """

    # Never looked up by content type (the pending index serves the sender): no index of its own.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    user_ids = models.JSONField(default=list)
    addresses = models.JSONField(default=list)
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker sends it; a claim older than CLAIM_EXPIRES belongs to a worker that died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="sd_notification_pending_idx",
            )
        ]

    def __str__(self):
        return f"{self.kind} #{self.object_id}"
