"""Renders request and task e-mails from the outbox, each in its recipient's language (an
approver's e-mail is the kernel's: `servicedesk.approvals.emails`)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from catalogue.models import FulfilmentTask, ServiceRequest
from servicedesk.models import Comment
from servicedesk.text import plain_text


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _recipients(notification):
    people = User.objects.filter(pk__in=notification.user_ids, is_active=True)
    return [(person, person.email, person.language) for person in people] + [
        (None, address, "") for address in notification.addresses
    ]


def _render(kind, context, address, language):
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"catalogue/email/{kind}_subject.txt", context)
        body = render_to_string(f"catalogue/email/{kind}.txt", context)
    return (address, " ".join(subject.split()), body)


def render_request_email(notification):
    record = ServiceRequest.objects.select_related("requester", "item").get(
        pk=notification.object_id
    )
    comment = None
    if notification.comment_id:
        comment = Comment.objects.filter(pk=notification.comment_id).first()
    messages = []
    for _person, address, language in _recipients(notification):
        context = {
            "request": record,
            "comment_text": plain_text(comment.body) if comment else "",
            "url": _site(reverse("portal:request", args=[record.number])),
        }
        if notification.kind == "sla_escalation":
            context["url"] = _site(reverse("catalogue:request", args=[record.number]))
        messages.append(_render(notification.kind, context, address, language))
    return messages


def render_task_email(notification):
    task = FulfilmentTask.objects.select_related("request", "support_group").get(
        pk=notification.object_id
    )
    context = {"task": task, "url": _site(reverse("catalogue:task", args=[task.number]))}
    return [
        _render(notification.kind, context, address, language)
        for _person, address, language in _recipients(notification)
    ]
