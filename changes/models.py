"""Change management's data: changes (RFCs), their categories, the standard-change catalogue,
the risk questionnaire and its thresholds, and the boards (CAB, emergency CAB) that authorise.

Every write goes through `changes.services`; reference data (categories, templates, questions,
thresholds, boards) is kept by administrators in the Django admin.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from changes.choices import (
    ApprovalRoute,
    BoardKind,
    BoardRule,
    ChangeStatus,
    ChangeType,
    Outcome,
    RiskLevel,
)
from changes.workflow import CHANGE_WORKFLOW
from servicedesk.models import BaseRecord


class ChangeCategory(models.Model):
    """What a change is about (network, database, application release...)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("change category")
        verbose_name_plural = _("change categories")

    def __str__(self):
        return self.name


class StandardChangeTemplate(models.Model):
    """A pre-approved change: raised from the template, it skips the CAB (its change manager
    still reviews it before it closes)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        ChangeCategory, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("back-out plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="+", verbose_name=_("default CIs")
    )
    services = models.ManyToManyField(
        "catalogue.Service", blank=True, related_name="+", verbose_name=_("default services")
    )
    default_duration = models.DurationField(_("default duration"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self):
        return self.name


class Change(BaseRecord):
    """A request for change (CHG0000001): its type, the 7 Rs, what it touches, its plans, its
    window, its risk, its approval and its review.

    The 7 Rs: who raised it (`requester`), the reason, the return (`expected_benefit`), the
    risks, the resources, who builds, tests and implements it (`builder`, `tester`,
    `implementer`) and its relationship to other changes (`related_changes`, `relationship`).
    The owner is the assignee in its support group.
    """

    NUMBER_PREFIX = "CHG"
    WORKFLOW = CHANGE_WORKFLOW

    status = models.CharField(
        _("status"), max_length=32, choices=ChangeStatus.choices, default=ChangeStatus.REQUESTED
    )
    change_type = models.CharField(
        _("type"), max_length=16, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    category = models.ForeignKey(
        ChangeCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("category"),
    )
    template = models.ForeignKey(
        StandardChangeTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("standard change"),
    )
    reason = models.TextField(_("reason"), blank=True)
    expected_benefit = models.TextField(_("return (expected benefit)"), blank=True)
    risks = models.TextField(_("risks"), blank=True)
    resources = models.TextField(_("resources"), blank=True)
    builder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("built by"),
    )  # fmt: skip
    tester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("tested by"),
    )  # fmt: skip
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("implemented by"),
    )  # fmt: skip
    relationship = models.TextField(_("relationship to other changes"), blank=True)
    related_changes = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("related changes")
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="changes",
        verbose_name=_("affected CIs"),
    )  # fmt: skip
    services = models.ManyToManyField(
        "catalogue.Service", blank=True, related_name="changes", verbose_name=_("services")
    )
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("back-out plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    risk_score = models.PositiveIntegerField(_("risk score"), null=True, blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=12, choices=RiskLevel.choices, blank=True
    )
    authorised_at = models.DateTimeField(_("authorised"), null=True, blank=True)
    outcome = models.CharField(
        _("closure code"), max_length=32, choices=Outcome.choices, blank=True
    )
    # The post-implementation review.
    objectives_met = models.BooleanField(_("objectives met"), null=True, blank=True)
    review_incidents = models.TextField(_("incidents caused"), blank=True)
    lessons = models.TextField(_("lessons learnt"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("reviewed by"),
    )  # fmt: skip
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        permissions = [
            ("work_change", "Can work changes"),
            ("manage_change", "Can authorise and review changes"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="chg_status_created_idx"),
            models.Index(fields=["created_at"], name="chg_created_idx"),
            # Covering: the calendar and the collision search read the window, status and id
            # from the index alone (an index-only scan).
            models.Index(
                fields=["planned_start", "planned_end"],
                include=["status", "id"],
                name="chg_window_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CHANGE_WORKFLOW.states),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(change_type__in=ChangeType.values),
                name="%(app_label)s_%(class)s_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gt=models.F("planned_start")),
                name="%(app_label)s_%(class)s_window_ordered",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("changes:detail", args=[self.number])

    @property
    def raised_by(self):
        """Who raised it (the first of the 7 Rs): the record's requester."""
        return self.requester


class RiskQuestion(models.Model):
    """A question of the risk questionnaire; each answer carries a weight added to the score."""

    text = models.CharField(_("question"), max_length=300)
    help_text = models.TextField(_("help"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("risk question")
        verbose_name_plural = _("risk questions")

    def __str__(self):
        return self.text


class RiskAnswer(models.Model):
    question = models.ForeignKey(
        RiskQuestion, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    text = models.CharField(_("answer"), max_length=200)
    weight = models.PositiveSmallIntegerField(_("weight"), default=0)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("risk answer")
        verbose_name_plural = _("risk answers")

    def __str__(self):
        return f"{self.text} ({self.weight})"


class ChangeRiskAnswer(models.Model):
    """The answer a change gave to one risk question (written by `change_risk_assess`)."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="risk_answers")
    question = models.ForeignKey(RiskQuestion, on_delete=models.PROTECT, related_name="+")
    answer = models.ForeignKey(RiskAnswer, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["change", "question"], name="%(app_label)s_%(class)s_once"
            )
        ]

    def __str__(self):
        return f"{self.change_id}: {self.answer_id}"


class RiskThreshold(models.Model):
    """From which score a change is of a risk level, and who authorises a normal change of it."""

    level = models.CharField(_("risk level"), max_length=12, choices=RiskLevel.choices, unique=True)
    min_score = models.PositiveIntegerField(_("from score"))
    route = models.CharField(
        _("authorised by"), max_length=20, choices=ApprovalRoute.choices,
        default=ApprovalRoute.CHANGE_MANAGER,
    )  # fmt: skip

    class Meta:
        ordering = ["min_score"]
        verbose_name = _("risk threshold")
        verbose_name_plural = _("risk thresholds")
        constraints = [
            models.UniqueConstraint(fields=["min_score"], name="%(app_label)s_%(class)s_score_once")
        ]

    def __str__(self):
        return f"{self.get_level_display()} ≥ {self.min_score}"


class ChangeBoard(models.Model):
    """A board that authorises changes: the CAB (high-risk normal changes) and the emergency CAB
    (emergency changes, decided by the members on call). Its rule: a quorum, or all."""

    kind = models.CharField(_("kind"), max_length=12, choices=BoardKind.choices, unique=True)
    name = models.CharField(_("name"), max_length=120)
    rule = models.CharField(
        _("decides by"), max_length=12, choices=BoardRule.choices, default=BoardRule.QUORUM
    )
    quorum = models.PositiveSmallIntegerField(_("quorum"), default=2)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="BoardMembership", related_name="change_boards"
    )

    class Meta:
        verbose_name = _("change board")
        verbose_name_plural = _("change boards")
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum__gte=1), name="%(app_label)s_%(class)s_quorum_positive"
            )
        ]

    def __str__(self):
        return self.name


class BoardMembership(models.Model):
    board = models.ForeignKey(ChangeBoard, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    on_call = models.BooleanField(
        _("on call"), default=False, help_text=_("The emergency CAB asks the members on call.")
    )

    class Meta:
        verbose_name = _("board member")
        verbose_name_plural = _("board members")
        constraints = [
            models.UniqueConstraint(fields=["board", "user"], name="%(app_label)s_%(class)s_once")
        ]

    def __str__(self):
        return f"{self.user} ({self.board})"


# The change calendar's windows and policy live in their own module.
from changes.windows import BlackoutWindow, MaintenanceWindow, SchedulingPolicy  # noqa: E402

__all__ = [
    "BlackoutWindow",
    "BoardMembership",
    "Change",
    "ChangeBoard",
    "ChangeCategory",
    "ChangeRiskAnswer",
    "MaintenanceWindow",
    "RiskAnswer",
    "RiskQuestion",
    "RiskThreshold",
    "SchedulingPolicy",
    "StandardChangeTemplate",
]
