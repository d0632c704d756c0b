"""The room's e-mails from the outbox: an update to each audience, the reminder that an update
is due and a public address's confirmation link; each recipient in their own language."""

from django.urls import reverse

from majorincidents.models import CommunicationPlan, StatusSubscription, StatusUpdate
from servicedesk.emails import record_url, render_each, site_url
from servicedesk.models import Notification

TEMPLATES = "majorincidents/email"


def _template_text(update: StatusUpdate, kind: str) -> str:
    plan = CommunicationPlan.objects.filter(incident_id=update.incident_id).first()
    if plan is None:
        return ""
    if kind == "major_update_stakeholders":
        return plan.template_stakeholders
    return plan.template_affected


def render_update_email(notification: Notification):
    if notification.kind == "major_update_due":
        plan = CommunicationPlan.objects.select_related("incident").get(pk=notification.object_id)

        def due_context(person, address):
            return {
                "plan": plan,
                "incident": plan.incident,
                "url": site_url(reverse("majorincidents:room", args=[plan.incident.number])),
            }

        return render_each(notification, templates=TEMPLATES, context_for=due_context)
    if notification.kind == "status_subscription_confirm":
        row = StatusSubscription.objects.select_related("service").get(pk=notification.object_id)

        def confirm_context(person, address):
            return {
                "service": row.service,
                "url": site_url(reverse("majorincidents:confirm", args=[row.token])),
            }

        return render_each(notification, templates=TEMPLATES, context_for=confirm_context)
    update = StatusUpdate.objects.select_related("incident", "service").get(
        pk=notification.object_id
    )
    intro = _template_text(update, notification.kind)
    subscriptions = {}
    if notification.kind == "major_update_subscribers" and update.service_id:
        for row in StatusSubscription.objects.filter(service_id=update.service_id):
            subscriptions[row.user_id or row.email] = row

    def context_for(person, address):
        context = {
            "update": update,
            "intro": intro,
            "service": update.service,
            "number": update.incident.number,
        }
        if notification.kind == "major_update_stakeholders":
            context["url"] = record_url("majorincidents:room", update.incident.number)
        elif update.service_id:
            context["url"] = site_url(reverse("majorincidents:page", args=[update.service_id]))
        row = subscriptions.get(person.pk if person else address)
        if row is not None:
            context["unsubscribe_url"] = site_url(
                reverse("majorincidents:cancel", args=[row.token])
            )
        return context

    return render_each(notification, templates=TEMPLATES, context_for=context_for)
