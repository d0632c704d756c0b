"""Time spent on records (typed with a reply or a work note, from the record page's timer or
its "Log time" form) and the hourly rates that price billable time in the chargeback report.

A `TimeEntry` points at its record by content type and id, as the kernel's rows do, so every
record type has time. It keeps what the dashboards and the chargeback group by as they were when
the time was logged (the agent's group, the record's organisation, service and category): the
figures are indexed range scans on this one table, never joins across five record tables.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_MINUTES = 24 * 60  # one entry is at most a day's work


class TimeEntry(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    number = models.CharField(_("record"), max_length=20)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="time_entries",
        verbose_name=_("agent"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    category = models.CharField(_("category"), max_length=200, blank=True)
    minutes = models.PositiveIntegerField(_("minutes"))
    billable = models.BooleanField(_("billable"), default=False)
    worked_on = models.DateField(_("date worked"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    comment = models.ForeignKey(
        "servicedesk.Comment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("comment"),
    )
    created_at = models.DateTimeField(_("logged"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [
            models.Index(fields=["content_type", "object_id", "worked_on"], name="tk_record_idx"),
            models.Index(fields=["agent", "worked_on"], name="tk_agent_idx"),
            models.Index(fields=["organisation", "worked_on"], name="tk_org_idx"),
            models.Index(fields=["worked_on", "id"], name="tk_worked_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_MINUTES), name="tk_minutes_range"
            ),
        ]

    def __str__(self):
        return f"{self.number}: {self.minutes} min"


class HourlyRate(models.Model):
    """What an hour of billable time costs: for an organisation (its contract) or for a support
    group (its standard rate). The organisation's rate wins over the group's."""

    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    support_group = models.OneToOneField(
        "accounts.SupportGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("support group"),
    )
    rate = models.DecimalField(_("hourly rate"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("hourly rate")
        verbose_name_plural = _("hourly rates")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, support_group__isnull=True)
                    | Q(organisation__isnull=True, support_group__isnull=False)
                ),
                name="tk_rate_one_owner",
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="tk_rate_not_negative"),
        ]

    def __str__(self):
        return f"{self.organisation or self.support_group}: {self.rate}"
