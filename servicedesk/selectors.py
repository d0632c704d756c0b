"""Reads shared by every record type."""

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.module_loading import import_string

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
    files = files_visible_to(user, Attachment.objects.filter(**on_record))
    files = files.select_related("uploaded_by")
    if not can_see_internal(user):
        events = events.filter(public=True)
        comments = comments.filter(visibility=Visibility.PUBLIC)
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


def files_visible_to(user, files: QuerySet[Attachment]) -> QuerySet[Attachment]:
    """Of a record's files, those the person sees on its timeline: everything for people who
    see internal work, public files only for everyone else (end users)."""
    if can_see_internal(user):
        return files
    return files.filter(visibility=Visibility.PUBLIC)


def attachment_get(*, user, pk: int) -> Attachment:
    """The attachment `pk` if the person may download it, else Attachment.DoesNotExist.

    The same rules as the record's timeline: the record is one the person sees (its type's
    VISIBLE_TO selector, the one behind the record's pages and API) and the file is one the
    timeline shows them (`files_visible_to`). A file on a row that is not a record, or on a
    record type without VISIBLE_TO, is nobody's to download. Two indexed queries.
    """
    attachment = files_visible_to(user, Attachment.objects.all()).get(pk=pk)
    model = ContentType.objects.get_for_id(attachment.content_type_id).model_class()
    path = getattr(model, "VISIBLE_TO", None) if model is not None else None
    if not (path and issubclass(model, BaseRecord)):
        raise Attachment.DoesNotExist
    if not import_string(path)(user).filter(pk=attachment.object_id).exists():
        raise Attachment.DoesNotExist
    return attachment
