from django.db import models

from servicedesk.models import BaseRecord
from servicedesk.workflow import Workflow


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


def needs_resolution_note(record, context):
    if not (context.get("note") or "").strip():
        return "Resolving needs a resolution note."
    return None


TICKET_WORKFLOW = Workflow(
    initial=TicketStatus.NEW,
    transitions={
        TicketStatus.NEW: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED},
        TicketStatus.IN_PROGRESS: {TicketStatus.RESOLVED},
        TicketStatus.RESOLVED: {TicketStatus.IN_PROGRESS, TicketStatus.CLOSED},
        TicketStatus.CLOSED: set(),
    },
    guards={TicketStatus.RESOLVED: [needs_resolution_note]},
    labels=dict(TicketStatus.choices),
)


class Ticket(BaseRecord):
    NUMBER_PREFIX = "TKT"
    WORKFLOW = TICKET_WORKFLOW

    status = models.CharField(max_length=32, choices=TicketStatus.choices, default="")
