"""Reads shared by every record type."""

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType

from accounts.roles import can_see_internal
from servicedesk.models import Attachment, AuditEvent, BaseRecord, Comment, Visibility


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "event", "comment" or "attachment"
    at: datetime
    actor: Any
    item: Any


def record_timeline(*, record: BaseRecord, user) -> list[TimelineEntry]:
    """The record's audit events, comments and attachments merged oldest first.

    Three indexed queries whatever the length: the events, the comments, and every file (a
    comment's files are handed to it as `comment.files`, the others are entries of their own).
    People who may not see internal work (end users) get public replies, public files and
    public events only.
    """
    content_type = ContentType.objects.get_for_model(record)
    on_record = {"content_type": content_type, "object_id": record.pk}
    events = AuditEvent.objects.filter(**on_record).select_related("actor")
    comments = Comment.objects.filter(**on_record).select_related("author")
    files = Attachment.objects.filter(**on_record).select_related("uploaded_by")
    if not can_see_internal(user):
        events = events.filter(public=True)
        comments = comments.filter(visibility=Visibility.PUBLIC)
        files = files.filter(visibility=Visibility.PUBLIC)
    comments = list(comments.order_by("created_at", "pk"))
    loose, by_comment = [], defaultdict(list)
    for file in files.order_by("created_at", "pk"):
        (by_comment[file.comment_id] if file.comment_id else loose).append(file)
    for comment in comments:
        comment.files = by_comment.get(comment.pk, [])
    streams = (
        (TimelineEntry("event", e.created_at, e.actor, e) for e in events.order_by("created_at", "pk")),
        (TimelineEntry("comment", c.created_at, c.author, c) for c in comments),
        (TimelineEntry("attachment", a.created_at, a.uploaded_by, a) for a in loose),
    )  # fmt: skip
    return list(heapq.merge(*streams, key=lambda entry: entry.at))
