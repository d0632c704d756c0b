"""The statuses of service requests and fulfilment tasks (their life cycles: `workflow.py`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    NEW = "new", _("Registered")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class TaskStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an earlier task")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
