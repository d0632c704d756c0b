"""Balanced assignment (each group's rule, each agent's availability and skills) and the agents'
in-app notifications. Rows point at records by content type and id, as the kernel's do."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AssignmentRule(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class GroupAssignment(models.Model):
    """How a support group's new, unassigned records are given to its members. The row is
    locked while one is chosen, so two records arriving at once go to two people in turn."""

    support_group = models.OneToOneField(
        "accounts.SupportGroup", on_delete=models.CASCADE, primary_key=True,
        related_name="assignment", verbose_name=_("support group"),
    )  # fmt: skip
    rule = models.CharField(
        _("rule"), max_length=20, choices=AssignmentRule.choices, default=AssignmentRule.MANUAL
    )
    by_skill = models.BooleanField(
        _("by skill"), default=False,
        help_text=_("Prefer members whose skills include the record's category."),
    )  # fmt: skip
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("last given to"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("group assignment rule")
        verbose_name_plural = _("group assignment rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(rule__in=AssignmentRule.values), name="live_assignment_rule_valid"
            )
        ]

    def __str__(self):
        return f"{self.support_group}: {self.get_rule_display()}"


class Availability(models.Model):
    """Whether an agent takes new work now: present or away, and the hours they work (days and
    times in their own time zone, `User.time_zone`). No row: present, at any time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="availability", verbose_name=_("agent"),
    )  # fmt: skip
    present = models.BooleanField(_("present"), default=True)
    work_days = models.CharField(
        _("working days"), max_length=7, blank=True, default="12345",
        help_text=_("ISO weekdays, 1 = Monday … 7 = Sunday; empty: every day."),
    )  # fmt: skip
    starts_at = models.TimeField(_("starts at"), null=True, blank=True)
    ends_at = models.TimeField(_("ends at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availabilities")

    def __str__(self):
        return str(self.user)


class Skill(models.Model):
    """A category an agent is good at (a subcategory's parent counts too)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills",
        verbose_name=_("agent"),
    )  # fmt: skip
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("category"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="live_skill_once")]

    def __str__(self):
        return f"{self.user}: {self.category}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you")
    REQUESTER_REPLY = "requester_reply", _("Reply from the requester")
    SLA_WARNING = "sla_warning", _("Service level warning")
    SLA_BREACH = "sla_breach", _("Service level breached")
    APPROVAL = "approval", _("Approval waiting")
    MENTION = "mention", _("Mentioned in a work note")


class Notification(models.Model):
    """One thing an agent should know about a record. The number and title are copied so the
    list needs no query per row."""

    # The recipient leads live_notif_recipient, and nothing looks these rows up by content
    # type: neither has an index of its own (the SLA sweep inserts them in bulk).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_notifications",
        verbose_name=_("recipient"), db_index=False,
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.PositiveBigIntegerField()
    number = models.CharField(_("number"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="live_notif_recipient"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="live_notif_unread"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="live_notification_kind_valid"
            )
        ]

    def __str__(self):
        return f"{self.recipient}: {self.get_kind_display()} {self.number}"
