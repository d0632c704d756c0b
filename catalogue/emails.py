"""Renders request and task e-mails from the outbox, each in its recipient's language
(`servicedesk.emails.render_each`; an approver's e-mail is the kernel's:
`servicedesk.approvals.emails`)."""

from catalogue.models import FulfilmentTask, ServiceRequest
from servicedesk.emails import comment_text, record_url, render_each

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
        if notification.kind == "sla_escalation":
            context["url"] = record_url("catalogue:request", record.number)
        return context

    return render_each(notification, templates=TEMPLATES, context_for=context_for)


def render_task_email(notification):
    task = FulfilmentTask.objects.select_related("request", "support_group").get(
        pk=notification.object_id
    )
    context = {"task": task, "url": record_url("catalogue:task", task.number)}
    return render_each(notification, templates=TEMPLATES, context_for=lambda *_: context)
