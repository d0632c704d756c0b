from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from incidents import services
from incidents.models import Incident
from servicedesk.models import Comment
from servicedesk.text import plain_text


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_incident_email_task(incident_id, kind, user_ids, addresses, comment_id=None):
    """Render and send one incident e-mail, in each recipient's own language."""
    incident = Incident.objects.select_related("requester", "assignee", "support_group").get(
        pk=incident_id
    )
    comment = Comment.objects.filter(pk=comment_id).select_related("author").first()
    recipients = [
        (u.email, u.language) for u in User.objects.filter(pk__in=user_ids, is_active=True)
    ]
    recipients += [(address, "") for address in addresses]
    for address, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            staff = address != incident.requester.email
            path = reverse(
                "incidents:detail" if staff else "portal:incident", args=[incident.number]
            )
            context = {
                "incident": incident,
                "comment_text": plain_text(comment.body) if comment else "",
                "resolution_text": plain_text(incident.resolution_notes),
                "url": settings.SITE_URL.rstrip("/") + path,
                "reopen_days": settings.INCIDENT_REOPEN_WINDOW_DAYS,
            }
            subject = render_to_string(f"incidents/email/{kind}_subject.txt", context)
            body = render_to_string(f"incidents/email/{kind}.txt", context)
        send_mail(" ".join(subject.split()), body, None, [address])


@shared_task
def close_resolved_incidents_task():
    """Beat, hourly: close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago."""
    return services.close_resolved_incidents()
