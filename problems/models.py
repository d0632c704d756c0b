"""Problems: the unknown (then known) cause of one or more incidents, analysed to its root cause.

A problem is a record type on the kernel (servicedesk.models.BaseRecord): its number (PRB…),
requester (who raised it), owning group and problem manager (the assignee), status, version and
timeline are the kernel's. The incidents it causes are kernel links (`caused_by`, incident →
problem); the change that fixes it is a `fixes` link (change → problem).
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.choices import Impact, Urgency
from problems.choices import ProblemStatus, RcaMethod
from problems.workflow import PROBLEM_WORKFLOW
from servicedesk.models import BaseRecord

_OPEN = Q(status__in=PROBLEM_WORKFLOW.open_states)


class Problem(BaseRecord):
    """The cause of one or more incidents; a known error once its root cause and workaround are
    recorded (the known error database is the problems in that state and after)."""

    NUMBER_PREFIX = "PRB"
    WORKFLOW = PROBLEM_WORKFLOW

    status = models.CharField(
        _("status"), max_length=32, choices=ProblemStatus.choices, default=ProblemStatus.NEW
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), editable=False)
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
        related_name="problems",
        verbose_name=_("affected service"),
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("configuration item"),
    )
    # Root-cause analysis.
    symptoms = models.TextField(_("symptoms"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    rca_method = models.CharField(
        _("analysis method"), max_length=16, choices=RcaMethod.choices, blank=True
    )
    # The method's structured notes: {"five_whys": [5 answers], "fishbone": {category: notes},
    # "timeline": [{"at": ISO time, "event": text}]}; checked by problems.rca.
    rca_data = models.JSONField(_("analysis"), default=dict, blank=True)
    # Why it was resolved without a change that fixes it.
    resolution = models.TextField(_("resolution"), blank=True)
    root_cause_at = models.DateTimeField(
        _("root cause found"), null=True, blank=True, editable=False
    )
    known_error_at = models.DateTimeField(_("known error"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        permissions = [
            ("work_problem", _("Can work problems (analyse, note, link)")),
            ("manage_problem", _("Can manage problems (known error, resolve, close)")),
        ]
        indexes = [
            models.Index(fields=["priority", "created_at"], condition=_OPEN, name="prb_open_idx"),
            models.Index(fields=["created_at", "id"], name="prb_created_idx"),
            models.Index(fields=["priority", "created_at", "id"], name="prb_priority_idx"),
            models.Index(fields=["updated_at", "id"], name="prb_updated_idx"),
            models.Index(fields=["status", "created_at"], name="prb_status_idx"),
            models.Index(fields=["assignee", "created_at"], name="prb_assignee_idx"),
            models.Index(fields=["configuration_item"], name="prb_ci_idx"),
            models.Index(fields=["service"], name="prb_service_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PROBLEM_WORKFLOW.states),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(rca_method__in=RcaMethod.values),
                name="%(app_label)s_%(class)s_rca_method_valid",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in PROBLEM_WORKFLOW.open_states

    @property
    def is_known_error(self) -> bool:
        return self.known_error_at is not None and self.status != ProblemStatus.CANCELLED

    def get_absolute_url(self) -> str:
        return reverse("problems:detail", args=[self.number])
