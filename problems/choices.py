"""Problem statuses and the root-cause analysis methods, with their labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSESSED = "assessed", _("Assessed")
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", _("Root-cause analysis")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class RcaMethod(models.TextChoices):
    NONE = "", _("Not chosen")
    FIVE_WHYS = "five_whys", _("5 whys")
    FISHBONE = "fishbone", _("Fishbone (cause categories)")
    TIMELINE = "timeline", _("Timeline")


# The fishbone's bones: each holds the analyst's notes on that kind of cause.
FISHBONE_CATEGORIES = {
    "people": _("People"),
    "process": _("Process"),
    "technology": _("Technology"),
    "suppliers": _("Suppliers"),
    "environment": _("Environment"),
    "measurement": _("Measurement"),
}

FIVE_WHYS = 5

COLORS = {
    ProblemStatus.NEW: "info",
    ProblemStatus.ASSESSED: "info",
    ProblemStatus.ROOT_CAUSE_ANALYSIS: "warning",
    ProblemStatus.KNOWN_ERROR: "danger",
    ProblemStatus.RESOLVED: "success",
    ProblemStatus.CLOSED: "muted",
    ProblemStatus.CANCELLED: "muted",
}
