"""Renders incident e-mails from the outbox, each in its recipient's language."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from incidents.models import Incident
from servicedesk.models import Comment
from servicedesk.text import plain_text
from sla.selectors import open_timers_of


def render_incident_email(notification):
    """[(address, subject, body)] for one outbox row; inactive people get nothing."""
    incident = Incident.objects.select_related("requester", "assignee", "support_group").get(
        pk=notification.object_id
    )
    comment = None
    if notification.comment_id:
        comment = Comment.objects.filter(pk=notification.comment_id).first()
    timers = []
    if notification.kind == "sla_escalation":
        timers = list(open_timers_of(incident))
    people = User.objects.filter(pk__in=notification.user_ids, is_active=True)
    recipients = [(person.email, person.language) for person in people]
    recipients += [(address, "") for address in notification.addresses]
    messages = []
    for address, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            staff = address != incident.requester.email
            view = "incidents:detail" if staff else "portal:incident"
            context = {
                "incident": incident,
                "comment_text": plain_text(comment.body) if comment else "",
                "resolution_text": plain_text(incident.resolution_notes),
                "url": settings.SITE_URL.rstrip("/") + reverse(view, args=[incident.number]),
                "reopen_days": settings.INCIDENT_REOPEN_WINDOW_DAYS,
                "timers": timers,
            }
            kind = notification.kind
            subject = render_to_string(f"incidents/email/{kind}_subject.txt", context)
            body = render_to_string(f"incidents/email/{kind}.txt", context)
        messages.append((address, " ".join(subject.split()), body))
    return messages
