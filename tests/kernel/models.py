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
    # A priority level (1 highest), as SLA policies and dashboards read it.
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    # Set by the kernel's first public staff reply (servicedesk.services.record_responded).
    first_responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("work_ticket", "Can work tickets")]


def tickets_visible_to(user):
    """Staff see every ticket, anyone else the tickets they asked for (as incidents do)."""
    from accounts.roles import can_see_internal

    if not user.is_authenticated:
        return Ticket.objects.none()
    if can_see_internal(user):
        return Ticket.objects.all()
    return Ticket.objects.filter(requester=user)
