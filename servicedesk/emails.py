"""Rendering a record's e-mails from the outbox, the same way for every record type.

A record type's renderer (the registry's `email`, e.g. `incidents.emails.render_incident_email`)
loads its record and hands `render_each` its template folder and a function that gives the
context for one recipient. The kernel does the rest: who gets it (active people by id, plain
addresses), each in their own language, the subject on one line, links on the site's address.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from servicedesk.models import Comment, Notification
from servicedesk.text import plain_text

# One recipient: the person (None for a plain address), the address, their language ("": the
# site's).
Recipient = tuple[User | None, str, str]
Message = tuple[str, str, str]


def site_url(path: str) -> str:
    """An absolute link on the desk's own address (`SITE_URL`)."""
    return settings.SITE_URL.rstrip("/") + path


def record_url(url_name: str, number: str) -> str:
    """The absolute link of a record's page, reversed with its number."""
    return site_url(reverse(url_name, args=[number]))


def recipients(notification: Notification) -> list[Recipient]:
    """Who an outbox row goes to: its active people (inactive ones get nothing), then its
    plain addresses."""
    people = User.objects.filter(pk__in=notification.user_ids, is_active=True)
    found: list[Recipient] = [(person, person.email, person.language) for person in people]
    return found + [(None, address, "") for address in notification.addresses]


def comment_text(notification: Notification) -> str:
    """The plain text of the comment an e-mail is about ("" when none, or when it is gone)."""
    if not notification.comment_id:
        return ""
    comment = Comment.objects.filter(pk=notification.comment_id).first()
    return plain_text(comment.body) if comment else ""


def render(templates: str, kind: str, context: dict[str, Any], address: str) -> Message:
    """(address, subject, body) from `<templates>/<kind>_subject.txt` and `<kind>.txt`, in the
    language active now."""
    subject = render_to_string(f"{templates}/{kind}_subject.txt", context)
    body = render_to_string(f"{templates}/{kind}.txt", context)
    return (address, " ".join(subject.split()), body)


def render_each(
    notification: Notification,
    *,
    templates: str,
    context_for: Callable[[User | None, str], dict[str, Any] | None],
) -> list[Message]:
    """[(address, subject, body)] for one outbox row: for each recipient, in their language,
    `context_for(person, address)` gives the context (None: this recipient gets nothing)."""
    messages = []
    for person, address, language in recipients(notification):
        with translation.override(language or settings.LANGUAGE_CODE):
            context = context_for(person, address)
            if context is None:
                continue
            messages.append(render(templates, notification.kind, context, address))
    return messages
