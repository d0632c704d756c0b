"""A django-helpdesk export: `manage.py dumpdata auth.user helpdesk.queue helpdesk.ticket
helpdesk.followup` (a JSON fixture). Queues become support groups, tickets incidents, each
follow-up a reply (public) or a work note with its status change; the ticket's priority
(1 critical ... 5 very low) is read as impact and urgency ranks that give it back through the
seeded matrix."""

from django.utils.translation import gettext_lazy as _

from transfer.formats.base import Format

HELPDESK = Format(
    key="helpdesk",
    label=_("django-helpdesk export (dumpdata JSON)"),
    kind="helpdesk",
    source="helpdesk",
    columns={},
    required=("number", "status", "opened_at"),
    statuses={
        "1": "in_progress",
        "2": "in_progress",
        "3": "resolved",
        "4": "closed",
        "5": "cancelled",
        "Open": "in_progress",
        "Reopened": "in_progress",
        "Resolved": "resolved",
        "Closed": "closed",
        "Duplicate": "cancelled",
    },  # fmt: skip
)

# helpdesk priority -> (impact rank, urgency rank) on a three-level scale: the seeded matrix
# gives back 1, 2, 3, 4, 5.
PRIORITY_RANKS = {1: (1, 1), 2: (1, 2), 3: (2, 2), 4: (3, 2), 5: (3, 3)}
