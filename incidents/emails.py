"""Renders incident e-mails from the outbox, each in its recipient's language
(`servicedesk.emails.render_each`)."""

from django.conf import settings

from incidents.models import Incident
from servicedesk.emails import comment_text, record_url, render_each
from servicedesk.text import plain_text
from sla.selectors import open_timers_of


def render_incident_email(notification):
    """[(address, subject, body)] for one outbox row; inactive people get nothing. The
    requester's link is their portal page, everyone else's the agent page."""
    incident = Incident.objects.select_related("requester", "assignee", "support_group").get(
        pk=notification.object_id
    )
    timers = list(open_timers_of(incident)) if notification.kind == "sla_escalation" else []
    text = comment_text(notification)

    def context_for(person, address):
        staff = address != incident.requester.email
        return {
            "incident": incident,
            "comment_text": text,
            "resolution_text": plain_text(incident.resolution_notes),
            "url": record_url("incidents:detail" if staff else "portal:incident", incident.number),
            "reopen_days": settings.INCIDENT_REOPEN_WINDOW_DAYS,
            "timers": timers,
        }

    return render_each(notification, templates="incidents/email", context_for=context_for)
