"""Change management's choices: types, statuses, closure codes, risk levels and approval routes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


# The types a change is raised as by hand (a standard change comes from a template).
RAISED_BY_HAND = [(ChangeType.NORMAL.value, ChangeType.NORMAL.label),
                  (ChangeType.EMERGENCY.value, ChangeType.EMERGENCY.label)]  # fmt: skip


class ChangeStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ASSESSED = "assessed", _("Assessed")
    AUTHORISED = "authorised", _("Authorised")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    REVIEW = "review", _("In review")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    """How a change ended: its closure code."""

    SUCCESSFUL = "successful", _("Successful")
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", _("Successful with issues")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ApprovalRoute(models.TextChoices):
    """Who authorises a normal change of a risk level."""

    CHANGE_MANAGER = "change_manager", _("A change manager")
    CAB = "cab", _("The change advisory board")


class BoardKind(models.TextChoices):
    CAB = "cab", _("Change advisory board")
    EMERGENCY = "emergency", _("Emergency change advisory board")


class BoardRule(models.TextChoices):
    """How a board decides: a quorum of its members, or all of them."""

    QUORUM = "quorum", _("A quorum of the members")
    ALL = "all", _("All members must approve")


COLORS = {
    ChangeStatus.REQUESTED: "blue",
    ChangeStatus.ASSESSED: "purple",
    ChangeStatus.AUTHORISED: "teal",
    ChangeStatus.REJECTED: "red",
    ChangeStatus.SCHEDULED: "teal",
    ChangeStatus.IMPLEMENTING: "orange",
    ChangeStatus.REVIEW: "purple",
    ChangeStatus.CLOSED: "grey",
    ChangeStatus.CANCELLED: "grey",
}
