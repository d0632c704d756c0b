"""SLA definitions (calendars, policies, targets, escalation rules) and their running state
(timers and escalation firings). The arithmetic lives in `sla.calendar`, pure Python."""

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk import registry


def validate_time_zone(value):
    if value not in available_timezones():
        raise ValidationError(_("“%(value)s” is not a time zone we know."), params={"value": value})


class Calendar(models.Model):
    """Working hours in a time zone, with holidays; or around the clock."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    always_open = models.BooleanField(
        _("24 x 7"), default=False, help_text=_("Every hour of every day counts.")
    )
    country = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter country code (IR, CN, DE...) whose public holidays are added."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One working interval on one weekday, in the calendar's local time."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_once")
        ]

    def __str__(self):
        return f"{self.date} {self.name}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    UPDATE = "update", _("Update interval")
    GROUP_HOLD = "group_hold", _("Time with one group (OLA)")
    SUPPLIER = "supplier", _("Time with the supplier (UC)")


class AgreementKind(models.TextChoices):
    SLA = "sla", _("SLA with the customer")
    OLA = "ola", _("OLA with a support group")
    UC = "uc", _("Underpinning contract with a supplier")


# Which metrics each kind of agreement measures. An SLA's update interval is the longest the
# customer waits between two public replies: each reply by an agent starts a new one.
KIND_METRICS = {
    AgreementKind.SLA: {Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.UPDATE},
    AgreementKind.OLA: {Metric.GROUP_HOLD},
    AgreementKind.UC: {Metric.SUPPLIER},
}


class SlaPolicy(models.Model):
    """Which targets apply to a record. The active policy with the lowest precedence number whose
    every condition matches wins; an empty condition matches anything."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(
        _("agreement"), max_length=3, choices=AgreementKind.choices, default=AgreementKind.SLA
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="olas",
        verbose_name=_("support group"),
        help_text=_("OLA: the group whose time with a record is measured, per assignment."),
    )
    supplier = models.CharField(
        _("supplier"),
        max_length=120,
        blank=True,
        help_text=_("UC: the supplier; its clock runs while a record is pending on the supplier."),
    )
    record_type = models.CharField(
        _("record type"), max_length=16, choices=registry.choices, default="incident"
    )
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("service"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("organisation"),
    )
    precedence = models.PositiveIntegerField(
        _("precedence"), default=100, help_text=_("Lower numbers win when several policies match.")
    )
    pause_on = models.JSONField(
        _("pause while pending on"),
        default=list,
        blank=True,
        help_text=_("Pending reasons that stop the clock, e.g. customer, supplier."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["record_type", "precedence", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == AgreementKind.OLA and not self.support_group_id:
            raise ValidationError({"support_group": _("An OLA is agreed with a support group.")})
        if self.kind == AgreementKind.UC and not (self.supplier and self.service_id):
            raise ValidationError(
                {"supplier": _("An underpinning contract names a supplier and a service.")}
            )


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField(
        _("target (business minutes)"), validators=[MinValueValidator(1)]
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="targets", verbose_name=_("calendar")
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "metric"], name="sla_target_once")]

    def __str__(self):
        return f"{self.policy}: {self.get_metric_display()} {self.minutes} min"

    def clean(self):
        if self.policy_id and self.metric not in KIND_METRICS[self.policy.kind]:
            raise ValidationError(
                {"metric": _("This metric does not belong to a %(kind)s.")
                 % {"kind": self.policy.get_kind_display()}}
            )  # fmt: skip


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_GROUP_LEAD = "notify_group_lead", _("Notify the group lead")
    NOTIFY_ROLE = "notify_role", _("Notify everyone in a role")
    NOTIFY_ADDRESSES = "notify_addresses", _("Notify these addresses")
    REASSIGN = "reassign", _("Reassign to a group")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority one level")


class EscalationRule(models.Model):
    """Fires once per timer when a share of the target has passed (or at an offset from the due
    time, in business time on the target's calendar), or when the timer's predicted probability
    of breach reaches `probability` percent (the prediction app scores the open timers and asks
    `sla.services.escalate_predicted`; the sweep's thresholds ignore such a rule)."""

    name = models.CharField(_("name"), max_length=120)
    policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        help_text=_("Empty: applies to every policy."),
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    percent = models.PositiveIntegerField(
        # xgettext:no-python-format
        _("at % of the target"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    offset_minutes = models.IntegerField(
        _("or minutes from the due time"),
        null=True,
        blank=True,
        help_text=_("Negative: before the due time (e.g. -30), in business time."),
    )
    probability = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("or at a predicted breach probability of %"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Fires once the breach prediction gives the timer at least this probability."),
    )
    action = models.CharField(_("action"), max_length=24, choices=EscalationAction.choices)
    role = models.CharField(_("role"), max_length=40, blank=True)
    addresses = models.TextField(_("addresses"), blank=True, help_text=_("One per line."))
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("reassign to"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["metric", "percent", "offset_minutes"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(percent__isnull=False, offset_minutes__isnull=True, probability__isnull=True)
                    | Q(
                        percent__isnull=True, offset_minutes__isnull=False, probability__isnull=True
                    )
                    | Q(
                        percent__isnull=True, offset_minutes__isnull=True, probability__isnull=False
                    )
                ),
                name="sla_rule_one_condition",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        given = [v for v in (self.percent, self.offset_minutes, self.probability) if v is not None]
        if len(given) != 1:
            raise ValidationError(
                {
                    "percent": _(
                        "Give one condition: a percentage of the target, an offset or a "
                        "predicted probability."
                    )
                }
            )
        if self.action == EscalationAction.REASSIGN and not self.support_group_id:
            raise ValidationError({"support_group": _("Choose the group to reassign to.")})
        if self.action == EscalationAction.NOTIFY_ROLE and not self.role:
            raise ValidationError({"role": _("Choose the role to notify.")})
        if self.action == EscalationAction.NOTIFY_ADDRESSES and not self.addresses.strip():
            raise ValidationError({"addresses": _("List at least one address.")})


class TimerState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TIMER_STATES = [TimerState.RUNNING, TimerState.PAUSED]


class SlaTimer(models.Model):
    """The clock of one target on one record.

    The clock state is kept, not only the due time: when it started, the pauses (so a new
    policy or an edited calendar recomputes everything from the start, paused time included),
    and the next instant something must happen (`next_check_at`, the sweep's indexed key).
    `breached_at` is set when the due time passes; a breached timer keeps running until the
    record meets the target late (state `breached` once stopped). `source` names the desk an
    import took the outcome from (met or breached as that desk recorded it, no due time).
    """

    # Led by sla_timer_record_idx (content type, object id): no index of its own, one less to
    # update on each of the sweep's writes.
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.PositiveBigIntegerField()
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="timers")
    target = models.ForeignKey(SlaTarget, on_delete=models.PROTECT, related_name="timers")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=TimerState.choices, default=TimerState.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    target_seconds = models.PositiveIntegerField()
    pauses = models.JSONField(default=list, blank=True)  # [[start ISO, end ISO or null], ...]
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(
        _("outcome from"),
        max_length=40,
        blank=True,
        help_text=_("Empty: measured by our clocks. Else the import source whose outcome is kept."),
    )

    class Meta:
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        indexes = [
            # The sweep: one range scan on what is due next, whatever the number of open timers.
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="sla_timer_next_check_idx",
            ),
            models.Index(fields=["content_type", "object_id"], name="sla_timer_record_idx"),
            models.Index(
                fields=["due_at"], condition=Q(state="running"), name="sla_timer_running_due_idx"
            ),
            # The breached queue and its card: the open clocks already past due, probed per
            # open incident (index only, a few percent of the table).
            models.Index(
                fields=["content_type", "object_id"],
                condition=Q(state__in=["running", "paused"], breached_at__isnull=False),
                name="sla_timer_breached_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "metric"],
                condition=Q(state__in=["running", "paused"]),
                name="sla_one_open_timer_per_metric",
            )
        ]

    def __str__(self):
        return f"{self.get_metric_display()} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TIMER_STATES


class EscalationFiring(models.Model):
    """A rule fired for a timer. Unique on (timer, rule): exactly once, whatever the number of
    sweeps, workers or retries."""

    # No index of its own: the unique (timer, rule) index leads with the timer. The sweep
    # inserts these rows in bulk; every index is paid on each insert.
    timer = models.ForeignKey(
        SlaTimer, on_delete=models.CASCADE, related_name="firings", db_index=False
    )
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="firings")
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["timer", "rule"], name="sla_fire_once")]

    def __str__(self):
        return f"{self.rule} @ {self.fired_at:%Y-%m-%d %H:%M}"


class PendingRecompute(models.Model):
    """An edit of a calendar, a policy or an escalation rule whose open timers are still to be
    recomputed. Written in the edit's transaction, so the broker losing the task loses nothing:
    the worker asked after the commit, or else the periodic sweep, claims the row, recomputes
    and deletes it. Empty scope fields mean "any" (a rule for every policy)."""

    calendar_id = models.PositiveBigIntegerField(null=True, blank=True)
    policy_id = models.PositiveBigIntegerField(null=True, blank=True)
    metric = models.CharField(max_length=20, choices=Metric.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pending timer recompute")
        verbose_name_plural = _("pending timer recomputes")

    def __str__(self):
        return f"recompute calendar={self.calendar_id} policy={self.policy_id} {self.metric}"


class DefinitionAction(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")


class DefinitionChange(models.Model):
    """The audit trail of the SLA definitions: one row per calendar, policy or escalation rule
    created, changed or deleted, written by `sla.services.definitions` in the change's
    transaction. `changes` holds each changed field as [old, new]; a calendar's `hours` and
    `holidays` and a policy's `targets` as their whole lists."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    name = models.CharField(_("name"), max_length=120)  # the name it had then
    action = models.CharField(_("action"), max_length=8, choices=DefinitionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("By")
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("SLA definition change")
        verbose_name_plural = _("SLA definition changes")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="sla_defchange_obj_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DefinitionAction.values),
                name="%(app_label)s_%(class)s_action_valid",
            )
        ]

    def __str__(self):
        return f"{self.name} {self.action} {self.created_at:%Y-%m-%d %H:%M}"
