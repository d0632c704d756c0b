"""The major-incident room and the public status page.

A major incident (`incidents.Incident.major_incident`) gets a communications plan and the
updates posted from its room; each catalogue service has a status (operational ... major
outage), shown on its status page, which end users and, when allowed, anyone read.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ServiceHealth(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")


class CommunicationPlan(models.Model):
    """Who hears about a major incident, how often and in which words."""

    incident = models.OneToOneField(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="communication_plan",
        verbose_name=_("incident"),
    )
    stakeholder_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people")
    )
    stakeholder_groups = models.ManyToManyField(
        "accounts.SupportGroup", blank=True, related_name="+", verbose_name=_("support groups")
    )
    stakeholder_addresses = models.JSONField(_("e-mail addresses"), default=list, blank=True)
    update_interval = models.PositiveIntegerField(
        _("update interval (minutes)"), default=60, help_text=_("Between 5 and 1440 minutes.")
    )
    template_affected = models.TextField(_("message to affected users"), blank=True)
    template_stakeholders = models.TextField(_("message to stakeholders"), blank=True)
    template_public = models.TextField(_("message on the status page"), blank=True)
    next_update_due = models.DateTimeField(_("next update due"), null=True, blank=True)
    # The due time whose reminder went out: a reminder is sent once per due time.
    reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("communications plan")
        verbose_name_plural = _("communications plans")
        indexes = [
            models.Index(
                fields=["next_update_due"],
                condition=Q(next_update_due__isnull=False),
                name="mi_plan_due_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(update_interval__gte=5) & Q(update_interval__lte=1440),
                name="mi_plan_interval_range",
            )
        ]

    def __str__(self):
        return str(self.incident_id)


class ServiceStatus(models.Model):
    """A catalogue service's current health and whether its status page is public."""

    service = models.OneToOneField(
        "catalogue.Service",
        on_delete=models.CASCADE,
        related_name="status_page",
        verbose_name=_("service"),
    )
    health = models.CharField(
        _("status"),
        max_length=16,
        choices=ServiceHealth.choices,
        default=ServiceHealth.OPERATIONAL,
    )
    public = models.BooleanField(
        _("public status page"),
        default=False,
        help_text=_("Anyone may read the service's status page without signing in."),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("service status")
        verbose_name_plural = _("service statuses")
        constraints = [
            models.CheckConstraint(
                condition=Q(health__in=ServiceHealth.values), name="mi_status_health_valid"
            )
        ]

    def __str__(self):
        return f"{self.service_id}: {self.health}"


class StatusUpdate(models.Model):
    """One update posted from a major incident's room: the public text, the service status it
    set and who it went to. The author is kept for the desk; the status page never shows it."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="status_updates"
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="status_updates",
    )
    health = models.CharField(_("status"), max_length=16, choices=ServiceHealth.choices)
    text = models.TextField(_("update"))
    to_affected = models.BooleanField(_("affected users"), default=True)
    to_subscribers = models.BooleanField(_("subscribers"), default=True)
    to_stakeholders = models.BooleanField(_("stakeholders"), default=True)
    on_status_page = models.BooleanField(_("status page"), default=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("posted"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="mi_update_incident_idx"),
            models.Index(
                fields=["service", "created_at"],
                condition=Q(on_status_page=True),
                name="mi_update_page_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(health__in=ServiceHealth.values), name="mi_update_health_valid"
            )
        ]

    def __str__(self):
        return f"{self.incident_id} {self.created_at:%Y-%m-%d %H:%M}"


def _token() -> str:
    return secrets.token_urlsafe(24)


class StatusSubscription(models.Model):
    """Someone who hears of a service's status updates: a person, or a public address once it
    confirmed through the link it was sent."""

    service = models.ForeignKey(
        "catalogue.Service", on_delete=models.CASCADE, related_name="status_subscriptions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_subscriptions",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    confirmed = models.BooleanField(default=False)
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status subscription")
        verbose_name_plural = _("status subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "user"], condition=Q(user__isnull=False), name="mi_sub_user_uniq"
            ),
            models.UniqueConstraint(
                fields=["service", "email"], condition=~Q(email=""), name="mi_sub_email_uniq"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, email="") | Q(user__isnull=True) & ~Q(email=""),
                name="mi_sub_person_or_address",
            ),
        ]

    def __str__(self):
        return f"{self.service_id}: {self.user_id or self.email}"
