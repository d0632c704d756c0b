"""The incident life cycle as data: register >> respond >> diagnose >> resolve >> close."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import IncidentStatus as S
from servicedesk.text import plain_text
from servicedesk.workflow import Workflow


def reopen_window() -> timedelta:
    return timedelta(days=settings.INCIDENT_REOPEN_WINDOW_DAYS)


def needs_assignee(incident, context):
    if not incident.assignee_id:
        return _("Assign the incident to someone before it is worked on.")
    return None


def reopen_within_window(incident, context):
    if incident.status != S.RESOLVED:
        return None
    resolved_at = incident.resolved_at or timezone.now()
    if timezone.now() > resolved_at + reopen_window():
        return _(
            "This incident was resolved more than %(days)d days ago and can no longer be "
            "reopened; log a new incident instead."
        ) % {"days": settings.INCIDENT_REOPEN_WINDOW_DAYS}
    return None


def needs_pending_reason(incident, context):
    if not incident.pending_reason:
        return _("Say what the incident is waiting for.")
    return None


def needs_resolution(incident, context):
    if not incident.resolution_code:
        return _("Choose a resolution code.")
    if not plain_text(incident.resolution_notes):
        return _("Write resolution notes: what was done to restore the service.")
    return None


INCIDENT_WORKFLOW = Workflow(
    initial=S.NEW,
    transitions={
        S.NEW: [S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CANCELLED],
        S.ASSIGNED: [S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CANCELLED],
        S.IN_PROGRESS: [S.PENDING, S.RESOLVED, S.CANCELLED],
        # Back to work, or to the queue when nobody holds it (e.g. the requester replied).
        S.PENDING: [S.NEW, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED],
        # Reopening goes back to work (or to the queue when nobody holds it).
        S.RESOLVED: [S.CLOSED, S.IN_PROGRESS, S.NEW],
        S.CLOSED: [],
        S.CANCELLED: [],
    },
    guards={
        S.ASSIGNED: [needs_assignee],
        S.IN_PROGRESS: [needs_assignee, reopen_within_window],
        S.NEW: [reopen_within_window],
        S.PENDING: [needs_pending_reason],
        S.RESOLVED: [needs_resolution],
    },
    labels=dict(S.choices),
    paused=[S.PENDING],
    resolved=[S.RESOLVED, S.CLOSED],
    cancelled=[S.CANCELLED],
    # Back in the group's queue when the assignee is removed (incident_assign).
    automatic={S.ASSIGNED: [S.NEW], S.IN_PROGRESS: [S.NEW]},
)
