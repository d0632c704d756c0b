"""What the dashboards keep: one fact row per record (the rollup the KPIs aggregate), the refresh
watermark, and managers' subscriptions to the e-mailed summary.

`RecordFact` is a denormalised copy of what the figures need from a record and its SLA timers:
the dimensions (priority, service, group, organisation), the durations in calendar and business
time (computed once, in Python, with the SLA calendars) and the outcome of each SLA clock. The
dashboards aggregate it with indexed range scans; nothing loops over rows in a request. See
docs/dashboards.md.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


DIMENSIONS = ["priority", "service_id", "support_group_id", "organisation_id"]
RESOLVED_MEASURES = [
    "first_contact",
    "reassignments",
    "respond_seconds",
    "respond_business_seconds",
    "resolve_seconds",
    "resolve_business_seconds",
]


class RecordFact(models.Model):
    record_type = models.CharField(max_length=16)  # "incident"; "request", "change" later
    object_id = models.PositiveBigIntegerField()
    number = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True)
    is_open = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(null=True)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    first_contact = models.BooleanField(default=False)
    reassignments = models.PositiveIntegerField(default=0)
    # Durations in seconds: calendar time, and business time on the SLA target's calendar
    # (working hours, minus the clock's pauses).
    respond_seconds = models.FloatField(null=True)
    respond_business_seconds = models.FloatField(null=True)
    resolve_seconds = models.FloatField(null=True)
    resolve_business_seconds = models.FloatField(null=True)
    response_outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    response_ended_at = models.DateTimeField(null=True)
    resolution_outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    resolution_ended_at = models.DateTimeField(null=True)
    rating = models.PositiveSmallIntegerField(null=True)  # the requester's 1-5, if given
    rated_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("record fact")
        verbose_name_plural = _("record facts")
        constraints = [
            models.UniqueConstraint(fields=["record_type", "object_id"], name="dash_fact_once")
        ]
        # Covering indexes: each panel's aggregate is an index-only scan of the period's range
        # (the dimensions and the measures it sums are INCLUDEd), whatever the table's size.
        indexes = [
            models.Index(
                fields=["record_type", "created_at"],
                include=DIMENSIONS,
                name="dash_fact_created_idx",
            ),
            models.Index(
                fields=["record_type", "resolved_at"],
                include=[*DIMENSIONS, *RESOLVED_MEASURES],
                condition=Q(resolved_at__isnull=False),
                name="dash_fact_resolved_idx",
            ),
            models.Index(
                fields=["record_type", "response_ended_at"],
                include=[*DIMENSIONS, "response_outcome"],
                condition=Q(response_ended_at__isnull=False),
                name="dash_fact_response_idx",
            ),
            models.Index(
                fields=["record_type", "resolution_ended_at"],
                include=[*DIMENSIONS, "resolution_outcome"],
                condition=Q(resolution_ended_at__isnull=False),
                name="dash_fact_resolution_idx",
            ),
            # The breach lists: newest first, only the breached.
            models.Index(
                fields=["record_type", "-response_ended_at"],
                condition=Q(response_outcome="breached"),
                name="dash_fact_response_late_idx",
            ),
            models.Index(
                fields=["record_type", "-resolution_ended_at"],
                condition=Q(resolution_outcome="breached"),
                name="dash_fact_resolution_late_idx",
            ),
            models.Index(
                fields=["record_type", "rated_at"],
                include=[*DIMENSIONS, "rating"],
                condition=Q(rated_at__isnull=False),
                name="dash_fact_rated_idx",
            ),
            # The backlog: the open records, by age.
            models.Index(
                fields=["record_type", "created_at"],
                include=DIMENSIONS,
                condition=Q(is_open=True),
                name="dash_fact_open_idx",
            ),
        ]

    def __str__(self):
        return self.number


class RefreshState(models.Model):
    """How far the incremental refresh of one record type has gone (one row per type)."""

    record_type = models.CharField(max_length=16, unique=True)
    watermark = models.DateTimeField()
    last_run_at = models.DateTimeField(default=timezone.now)
    last_count = models.PositiveIntegerField(default=0)
    # The months before this one have their `MonthlyStat` rows (null: none built yet).
    rolled_up_to = models.DateField(null=True)

    def __str__(self):
        return f"{self.record_type} @ {self.watermark:%Y-%m-%d %H:%M:%S}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly (Mondays, for the week before)")
    MONTHLY = "monthly", _("Monthly (on the 1st, for the month before)")


class ReportSubscription(models.Model):
    """A manager's e-mailed summary of the dashboards, with the filters they chose."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("support group"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    last_period_start = models.DateField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["user", "frequency"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self):
        return f"{self.user} {self.get_frequency_display()}"


class MonthlyStat(models.Model):
    """Sums of `RecordFact` per month and dimensions, for the months that are over: a year's
    figures read ~15,000 of these instead of ~200,000 facts. Rebuilt from the facts, month by
    month, by the refresh (see `dashboards.rollup`); the current month is read from the facts.

    Each measure belongs to the month of its own instant: opened by creation, resolved figures
    by resolution, a clock's outcome by the clock's end, a rating by the day it was given.
    """

    month = models.DateField()
    record_type = models.CharField(max_length=16)
    priority = models.PositiveSmallIntegerField(null=True)
    service_id = models.BigIntegerField(null=True)
    support_group_id = models.BigIntegerField(null=True)
    organisation_id = models.BigIntegerField(null=True)
    opened = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    first_contact = models.PositiveIntegerField(default=0)
    reassigned = models.PositiveIntegerField(default=0)
    reassignments = models.PositiveIntegerField(default=0)
    response_met = models.PositiveIntegerField(default=0)
    response_breached = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)
    respond_sum = models.FloatField(default=0)
    respond_n = models.PositiveIntegerField(default=0)
    respond_business_sum = models.FloatField(default=0)
    respond_business_n = models.PositiveIntegerField(default=0)
    resolve_sum = models.FloatField(default=0)
    resolve_n = models.PositiveIntegerField(default=0)
    resolve_business_sum = models.FloatField(default=0)
    resolve_business_n = models.PositiveIntegerField(default=0)
    rating_1 = models.PositiveIntegerField(default=0)
    rating_2 = models.PositiveIntegerField(default=0)
    rating_3 = models.PositiveIntegerField(default=0)
    rating_4 = models.PositiveIntegerField(default=0)
    rating_5 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["record_type", "month"], name="dash_month_idx")]

    def __str__(self):
        return f"{self.record_type} {self.month:%Y-%m}"
