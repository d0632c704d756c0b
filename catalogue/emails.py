"""Renders request and task e-mails from the outbox, each in its recipient's language
(`servicedesk.emails.render_each`)."""

from django.conf import settings
from django.urls import reverse

from catalogue.links import approval_token
from catalogue.models import Approval, FulfilmentTask, ServiceRequest
from servicedesk.emails import comment_text, record_url, render_each, site_url

TEMPLATES = "catalogue/email"


def render_request_email(notification):
    record = ServiceRequest.objects.select_related("requester", "item").get(
        pk=notification.object_id
    )
    text = comment_text(notification)

    def context_for(person, address):
        context = {
            "request": record,
            "comment_text": text,
            "url": record_url("portal:request", record.number),
        }
        if notification.kind == "approval_requested":
            approval = Approval.objects.filter(request=record, approver=person).first()
            if approval is None:
                return None
            token = approval_token(approval)
            context["decide_url"] = site_url(reverse("portal:decide", args=[token]))
            context["approvals_url"] = site_url(reverse("portal:approvals"))
            context["days"] = settings.APPROVAL_LINK_MAX_AGE_DAYS
        elif notification.kind == "sla_escalation":
            context["url"] = record_url("catalogue:request", record.number)
        return context

    return render_each(notification, templates=TEMPLATES, context_for=context_for)


def render_task_email(notification):
    task = FulfilmentTask.objects.select_related("request", "support_group").get(
        pk=notification.object_id
    )
    context = {"task": task, "url": record_url("catalogue:task", task.number)}
    return render_each(notification, templates=TEMPLATES, context_for=lambda *_: context)
