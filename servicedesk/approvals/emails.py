"""The approver's e-mail, for any record type: what is asked, by whom, and the signed one-time
link (the outbox renders it; `servicedesk.notifications.register_kind`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from servicedesk import registry
from servicedesk.approvals.links import approval_token
from servicedesk.models import Approval, Notification


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def render_approval_email(notification: Notification) -> Iterable[tuple[str, str, str]]:
    """One e-mail per approver named on the row, with the link of their latest approval of the
    record (one decided before the e-mail left opens on "already decided")."""
    model = notification.content_type.model_class()
    record_type = registry.for_model(model) if model is not None else None
    if model is None or record_type is None or record_type.approvals is None:
        return []
    hooks = record_type.approvals
    record = model._default_manager.select_related(hooks.requester_field).get(
        pk=notification.object_id
    )
    messages = []
    people = User.objects.filter(pk__in=notification.user_ids, is_active=True)
    for person in people:
        approval = (
            Approval.objects.filter(
                content_type=notification.content_type,
                object_id=record.pk,
                approver=person,
            )
            .order_by("-pk")
            .first()
        )
        if approval is None:
            continue
        context = {
            "record": record,
            "requester": getattr(record, hooks.requester_field),
            "summary_template": hooks.email_summary_template,
            "decide_url": _site(reverse("portal:decide", args=[approval_token(approval)])),
            "approvals_url": _site(reverse("portal:approvals")),
            "days": settings.APPROVAL_LINK_MAX_AGE_DAYS,
        }
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject = render_to_string("servicedesk/email/approval_requested_subject.txt", context)
            body = render_to_string("servicedesk/email/approval_requested.txt", context)
        messages.append((person.email, " ".join(subject.split()), body))
    return messages
