"""Reads of the e-mail channel."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse

from accounts.models import User
from accounts.roles import can_see_internal
from inbound.choices import MessageStatus
from inbound.models import InboundMessage, Watcher
from servicedesk import registry


def timeline_mail_annotate(*, record, events: list, comments: list) -> None:
    """Mark the timeline rows that came by e-mail with the sender's address (`via_email`):
    comments from replies, and the "created" event of a record opened by mail.

    One query, and none for a record that shows no sign of mail: neither opened by e-mail
    (its channel) nor holding a comment with the original message attached, as every reply
    taken from mail has."""
    from inbound.intake import ORIGINAL_NAME

    by_mail = getattr(record, "channel", "") == "email" or any(
        file.filename == ORIGINAL_NAME
        for comment in comments
        for file in getattr(comment, "files", ())
    )
    if not by_mail:
        return
    content_type = ContentType.objects.get_for_model(record)
    rows = InboundMessage.objects.filter(
        content_type=content_type,
        object_id=record.pk,
        status__in=(MessageStatus.TICKET, MessageStatus.REPLY),
    ).values_list("status", "comment_id", "sender")
    by_comment: dict[int, str] = {}
    opened_by = ""
    for status, comment_id, sender in rows:
        if status == MessageStatus.TICKET:
            opened_by = sender
        elif comment_id:
            by_comment[comment_id] = sender
    for comment in comments:
        comment.via_email = by_comment.get(comment.pk, "")
    if opened_by:
        for event in events:
            if event.kind == "created":
                event.via_email = opened_by


def watchers_of(record) -> list[Watcher]:
    """The people who follow a record by mail."""
    return list(
        Watcher.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).order_by("pk")
    )


def watcher_candidates(record, *, limit: int = 20) -> list:
    """The requester's colleagues first (same department, then same organisation), active,
    without the requester and those already watching: what the watchers card offers."""
    requester = (
        User.objects.filter(pk=record.requester_id).only("organisation", "department").first()
    )
    if requester is None or requester.organisation_id is None:
        return []
    watching = Watcher.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).values("address")
    near = Value(1)
    if requester.department_id is not None:
        near = Case(
            When(department_id=requester.department_id, then=Value(0)),
            default=Value(1), output_field=IntegerField(),
        )  # fmt: skip
    return list(
        User.objects.filter(is_active=True, organisation_id=requester.organisation_id)
        .exclude(pk=requester.pk)
        .exclude(email__in=watching)
        .annotate(near=near)
        .order_by("near", "full_name")
        .only("pk", "full_name", "email")[:limit]
    )


def watchers_panel_context(request, *, record) -> dict | None:
    """The record page's "Watchers" card: a shell the page loads afterwards
    (`watchers_card_context`), so the record page itself runs no query for it."""
    if request is None or not can_see_internal(request.user):
        return None
    if registry.for_model(type(record)) is None:
        return None
    return {"panel_url": reverse("inbound:watchers_panel", args=[record.number])}


def watchers_card_context(record) -> dict:
    """The card: three queries (its watchers, the requester, their colleagues)."""
    return {
        "watchers": watchers_of(record),
        "colleagues": watcher_candidates(record),
        "watch_url": reverse("inbound:watcher_add", args=[record.number]),
        "unwatch_url": reverse("inbound:watcher_remove", args=[record.number]),
    }


def portal_watchers_context(request, *, record) -> dict | None:
    """The requester's own record in the portal: who else gets its updates, and a colleague to
    add (only the requester sees it; two queries)."""
    if request is None or not request.user.is_authenticated:
        return None
    if record.requester_id != request.user.pk:
        return None
    return {
        "watchers": watchers_of(record),
        "colleagues": watcher_candidates(record),
        "watch_url": reverse("inbound:portal_watcher_add", args=[record.number]),
        "unwatch_url": reverse("inbound:portal_watcher_remove", args=[record.number]),
    }
