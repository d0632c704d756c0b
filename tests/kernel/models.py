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
    # The catalogue service it is about: its owner approves under the service-owner rule.
    service = models.ForeignKey(
        "catalogue.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set by the kernel's first public staff reply (servicedesk.services.record_responded).
    first_responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("work_ticket", "Can work tickets")]


def tickets_visible_to(user):
    """Staff see every ticket, anyone else the tickets they asked for (as incidents do) and
    those they are asked to approve."""
    from accounts.roles import can_see_internal
    from servicedesk.approvals.selectors import approvable_by

    if not user.is_authenticated:
        return Ticket.objects.none()
    if can_see_internal(user):
        return Ticket.objects.all()
    return Ticket.objects.filter(models.Q(requester=user) | approvable_by(user, Ticket))


def ticket_approval_decided(*, record, approval_set, actor, approved, comment):
    """The ticket's approval set is decided: approved, work starts; rejected, it is resolved
    with the reason (as a record type's `ApprovalHooks.decided` callback does)."""
    from servicedesk.services import record_transition

    if approved:
        record_transition(
            record=record, workflow=TICKET_WORKFLOW, target=TicketStatus.IN_PROGRESS, actor=actor
        )
    else:
        note = f"Not approved: {comment}"
        record_transition(
            record=record,
            workflow=TICKET_WORKFLOW,
            target=TicketStatus.RESOLVED,
            actor=actor,
            note=note,
            context={"note": note},
        )
