"""The one e-mail the channel writes itself: the polite refusal (from the outbox)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from inbound.models import InboundMessage


def render_inbound_email(notification):
    """[(address, subject, body)] of an outbox row about a received message."""
    message = InboundMessage.objects.select_related("mailbox").get(pk=notification.object_id)
    rendered = []
    for address in notification.addresses:
        with translation.override(settings.LANGUAGE_CODE):
            context = {"message": message, "mailbox": message.mailbox}
            subject = render_to_string(f"inbound/email/{notification.kind}_subject.txt", context)
            body = render_to_string(f"inbound/email/{notification.kind}.txt", context)
        rendered.append((address, " ".join(subject.split()), body))
    return rendered
