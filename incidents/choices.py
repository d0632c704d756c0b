from django.db import models
from django.utils.translation import gettext_lazy as _


class Impact(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Urgency(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = [
    IncidentStatus.NEW,
    IncidentStatus.ASSIGNED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.PENDING,
]


class PendingReason(models.TextChoices):
    CUSTOMER = "customer", _("Awaiting customer")
    SUPPLIER = "supplier", _("Awaiting supplier")
    CHANGE = "change", _("Awaiting change")
    PROBLEM = "problem", _("Awaiting problem")


class ResolutionCode(models.TextChoices):
    SOLVED_PERMANENTLY = "solved_permanently", _("Solved (permanently)")
    SOLVED_WORKAROUND = "solved_workaround", _("Solved (workaround)")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    DUPLICATE = "duplicate", _("Duplicate")
    USER_ERROR = "user_error", _("User error / advice given")
    RESOLVED_BY_PARENT = "resolved_by_parent", _("Resolved with parent incident")
    RECOVERED = "recovered", _("Recovered (monitoring)")
