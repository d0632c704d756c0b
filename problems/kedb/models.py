"""The known-error database's own rows: problem candidates found in the incidents (and the
settings of the finder), and every workaround applied to an incident.

Imported by `problems.models`, so they belong to the problems app and its migrations.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CandidateSettings(models.Model):
    """How the candidate finder judges incidents (one row, edited in the admin).

    The finder looks at the incidents of the last `window_days`, compares them with the
    `baseline_days` before, and proposes a group of incidents sharing a configuration item, a
    service or a category, with titles sharing words that are unusually frequent there.
    """

    enabled = models.BooleanField(_("look for candidates"), default=True)
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Incidents created in these last days are grouped."),
    )
    baseline_days = models.PositiveSmallIntegerField(
        _("baseline (days)"),
        default=56,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("The days before the window tell what is usual."),
    )
    min_incidents = models.PositiveSmallIntegerField(
        _("incidents at least"), default=4, validators=[MinValueValidator(2)]
    )
    min_requesters = models.PositiveSmallIntegerField(
        _("different requesters at least"), default=3, validators=[MinValueValidator(1)]
    )
    min_ratio = models.DecimalField(
        _("times the usual rate at least"),
        max_digits=5,
        decimal_places=1,
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("How much more often than in the baseline a word must occur in the window."),
    )
    max_chance = models.DecimalField(
        _("chance by accident at most"),
        max_digits=6,
        decimal_places=5,
        default=Decimal("0.0005"),
        validators=[MinValueValidator(Decimal("0.00001")), MaxValueValidator(1)],
        help_text=_(
            "How likely so many incidents with those words would be at the baseline's usual rate "
            "(a Poisson tail). Lower proposes fewer groups; 1 turns the check off."
        ),
    )
    min_shared_words = models.PositiveSmallIntegerField(
        _("shared title words at least"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    by_configuration_item = models.BooleanField(_("group by configuration item"), default=True)
    by_service = models.BooleanField(_("group by service"), default=True)
    by_category = models.BooleanField(_("group by category"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("problem candidate settings")
        verbose_name_plural = _("problem candidate settings")

    def __str__(self):
        return str(_("Problem candidate settings"))

    @classmethod
    def current(cls) -> "CandidateSettings":
        """The one row (made with the defaults on first use)."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class CandidateStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class ProblemCandidate(models.Model):
    """A group of recurring incidents the finder proposes as a problem, with why.

    One row per fingerprint (the facet and the telling words), ever: a dismissed fingerprint is
    never proposed again, and a growing group updates its row instead of adding one.
    """

    fingerprint = models.CharField(_("fingerprint"), max_length=40, unique=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CandidateStatus.choices,
        default=CandidateStatus.PROPOSED,
    )
    title = models.CharField(_("title"), max_length=200)
    facet = models.CharField(_("grouped by"), max_length=32)
    facet_value = models.PositiveBigIntegerField(_("value"))
    reasons = models.JSONField(_("why"), default=dict)
    incident_count = models.PositiveIntegerField(_("incidents"), default=0)
    requester_count = models.PositiveIntegerField(_("requesters"), default=0)
    first_at = models.DateTimeField(_("first incident"))
    last_at = models.DateTimeField(_("last incident"))
    found_at = models.DateTimeField(_("found"), default=timezone.now, editable=False)
    refreshed_at = models.DateTimeField(_("last seen"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    dismiss_reason = models.TextField(_("why dismissed"), blank=True)
    problem = models.ForeignKey(
        "problems.Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("problem"),
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", through="CandidateIncident", related_name="+"
    )

    class Meta:
        verbose_name = _("problem candidate")
        verbose_name_plural = _("problem candidates")
        indexes = [
            models.Index(
                fields=["-incident_count", "id"],
                condition=Q(status="proposed"),
                name="prb_candidate_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CandidateStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_proposed(self) -> bool:
        return self.status == CandidateStatus.PROPOSED


class CandidateIncident(models.Model):
    """An incident of a candidate (so a dismissed group is recognised by its incidents too)."""

    candidate = models.ForeignKey(ProblemCandidate, on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("candidate incident")
        verbose_name_plural = _("candidate incidents")
        indexes = [models.Index(fields=["incident"], name="prb_candidate_incident_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "incident"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self):
        return f"{self.candidate_id}: {self.incident_id}"


class WorkaroundUse(models.Model):
    """A known error's workaround applied to an incident as a public reply: the fact the KPI
    "incidents resolved by a known workaround" counts. Once per incident and problem."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(
        "servicedesk.Comment", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("workaround applied")
        verbose_name_plural = _("workarounds applied")
        indexes = [models.Index(fields=["problem", "applied_at"], name="prb_workaround_use_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "problem"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self):
        return f"{self.problem_id} -> {self.incident_id}"
