"""Reads shared by every record type."""

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from accounts.roles import can_see_internal
from servicedesk import registry
from servicedesk.models import (
    LINK_REVERSE_LABELS,
    Attachment,
    AuditEvent,
    BaseRecord,
    Comment,
    LinkKind,
    RecordLink,
    Visibility,
)
from servicedesk.numbering import NUMBER_DIGITS


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "event", "comment" or "attachment"
    at: datetime
    actor: Any
    item: Any


# Apps that know more about a timeline's rows (which came by e-mail) annotate them:
# f(record=, events=[AuditEvent], comments=[Comment]) -> None, one query each at most.
TIMELINE_ANNOTATORS: list[Callable[..., None]] = []

# Apps that add a badge to the rows of a record queue (a record handed over by another desk):
# f(rows=[records of one type]) -> None, appending (css class, text) pairs to each row's
# `queue_badges`; one query per page at most.
QUEUE_ANNOTATORS: list[Callable[..., None]] = []


def queue_annotate(rows: list[Any]) -> list[Any]:
    """Give each row of a queue page its `queue_badges` (rendered by
    `servicedesk/_queue_badges.html`) from the apps that registered a queue annotator."""
    for row in rows:
        row.queue_badges = []
    if rows:
        for annotate in QUEUE_ANNOTATORS:
            annotate(rows=rows)
    return rows


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
    comments = Comment.objects.filter(**on_record).select_related("author", "redacted_by")
    files = files_visible_to(user, Attachment.objects.filter(**on_record))
    files = files.select_related("uploaded_by", "redacted_by")
    if not can_see_internal(user):
        events = events.filter(public=True)
        comments = comments.filter(visibility=Visibility.PUBLIC)
    comment_rows: list[Any] = list(comments.order_by("created_at", "pk"))
    loose: list[Attachment] = []
    by_comment: defaultdict[int, list[Attachment]] = defaultdict(list)
    for file in files.order_by("created_at", "pk"):
        (by_comment[file.comment_id] if file.comment_id else loose).append(file)
    for comment in comment_rows:
        comment.files = by_comment.get(comment.pk, [])
    event_rows = list(events.order_by("created_at", "pk"))
    for annotate in TIMELINE_ANNOTATORS:
        annotate(record=record, events=event_rows, comments=comment_rows)
    streams = (
        (TimelineEntry("event", e.created_at, e.actor, e) for e in event_rows),
        (TimelineEntry("comment", c.created_at, c.author, c) for c in comment_rows),
        (TimelineEntry("attachment", a.created_at, a.uploaded_by, a) for a in loose),
    )  # fmt: skip
    return list(heapq.merge(*streams, key=lambda entry: entry.at))


def files_visible_to(user, files: QuerySet[Attachment]) -> QuerySet[Attachment]:
    """Of a record's files, those the person sees on its timeline: everything for people who
    see internal work, public files only for everyone else (end users)."""
    if can_see_internal(user):
        return files
    return files.filter(visibility=Visibility.PUBLIC)


# Rows that are not records but carry files (knowledge articles): {"app_label.model": dotted
# path of f(user) -> QuerySet of the rows the person sees}, set by their app's ready().
FILE_OWNERS: dict[str, str] = {}


def attachment_get(*, user, pk: int) -> Attachment:
    """The attachment `pk` if the person may download it, else Attachment.DoesNotExist.

    The same rules as the record's timeline: the record is one the person sees (its type's
    registered `visible_to` selector, the one behind the record's pages and API) and the file is one the
    timeline shows them (`files_visible_to`). A file on a row that is not a record is
    downloaded by whoever its `FILE_OWNERS` selector shows the row to; on any other row, or on a
    record type not in the registry, it is nobody's to download, and so is a redacted file. Two
    indexed queries.
    """
    files = Attachment.objects.filter(redacted_at__isnull=True)
    attachment = files_visible_to(user, files).get(pk=pk)
    model = ContentType.objects.get_for_id(attachment.content_type_id).model_class()
    owner = FILE_OWNERS.get(model._meta.label_lower) if model is not None else None
    if owner is not None:
        if not import_string(owner)(user).filter(pk=attachment.object_id).exists():
            raise Attachment.DoesNotExist
        return attachment
    record_type = registry.for_model(model) if model is not None else None
    if record_type is None or model is None or not issubclass(model, BaseRecord):
        raise Attachment.DoesNotExist
    if not record_type.visible(user).filter(pk=attachment.object_id).exists():
        raise Attachment.DoesNotExist
    return attachment


# --- Records of any type, and the links between them ----------------------------------------


def record_models() -> list[type[BaseRecord]]:
    """Every concrete record type (each BaseRecord subclass with a number prefix)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, BaseRecord) and bool(getattr(model, "NUMBER_PREFIX", ""))
    ]


def records_visible_to(user, model: type[BaseRecord]) -> QuerySet:
    """The records of `model` the person sees: its own VISIBLE_TO selector (none without one)."""
    path = getattr(model, "VISIBLE_TO", None)
    if not path:
        return model.objects.none()
    return import_string(path)(user)


def record_is_visible(*, user, record: BaseRecord) -> bool:
    return records_visible_to(user, type(record)).filter(pk=record.pk).exists()


def record_at(content_type_id: int, object_id: int) -> BaseRecord | None:
    """The record a (content type, id) pair points at, with its number only; None when the
    row is gone or is not a record."""
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or not issubclass(model, BaseRecord):
        return None
    # Every concrete record has its "id"; the abstract base, which the checker sees, has none.
    return model._default_manager.filter(pk=object_id).only("id", "number").first()  # type: ignore[misc]


def record_model_for_number(number: str) -> tuple[type[BaseRecord], str] | None:
    """The record type a number belongs to, by its prefix, and the number written in full
    ("inc42" is INC0000042). None when no type has that prefix or the rest is not digits."""
    text = (number or "").strip().upper()
    for model in sorted(record_models(), key=lambda m: -len(m.NUMBER_PREFIX)):
        digits = text.removeprefix(model.NUMBER_PREFIX)
        if digits != text and digits.isdigit() and len(digits) <= 18:
            return model, f"{model.NUMBER_PREFIX}{int(digits):0{NUMBER_DIGITS}d}"
    return None


def record_by_number(*, user, number: str) -> BaseRecord:
    """The record of any type with this number, if the person may see it (its type's
    VISIBLE_TO). Raises ObjectDoesNotExist otherwise: hidden and missing look the same."""
    found = record_model_for_number(number)
    if found is None:
        raise ObjectDoesNotExist(number)
    model, full_number = found
    record = records_visible_to(user, model).filter(number=full_number).first()
    if record is None:
        raise ObjectDoesNotExist(number)
    return record


@dataclass(frozen=True)
class LinkedRecord:
    """One link as a record's page shows it: the label read from this record, the other one."""

    link: RecordLink
    kind: str
    label: str
    other: BaseRecord
    outgoing: bool


def link_label(kind: str, *, reverse: bool) -> str:
    """ "duplicate of" read from the source, "has duplicate" read from the target."""
    if kind not in LinkKind.values:
        return kind
    return str(LINK_REVERSE_LABELS[LinkKind(kind)] if reverse else LinkKind(kind).label)


def links_of(record: BaseRecord) -> QuerySet[RecordLink]:
    """Every link from or to the record, whatever the other side (two index range scans)."""
    content_type = ContentType.objects.get_for_model(record)
    return RecordLink.objects.filter(
        Q(source_type=content_type, source_id=record.pk)
        | Q(target_type=content_type, target_id=record.pk)
    )


def record_links(*, record: BaseRecord, user) -> list[LinkedRecord]:
    """The record's links in both directions, oldest first, to records the person may see.

    Precondition: the person sees `record` itself (the caller reached it through its type's
    selector). Each linked record is checked with its own type's VISIBLE_TO: a link to a
    record the person may not see is left out, as if it were not there. One query for the
    links and one per type of linked record.
    """
    content_type = ContentType.objects.get_for_model(record)
    links = list(links_of(record).order_by("created_at", "pk"))
    sides = []
    wanted: dict[int, set[int]] = defaultdict(set)
    for link in links:
        outgoing = link.source_type_id == content_type.pk and link.source_id == record.pk
        other = (
            (link.target_type_id, link.target_id)
            if outgoing
            else (link.source_type_id, link.source_id)
        )
        sides.append((link, outgoing, other))
        wanted[other[0]].add(other[1])
    found: dict[tuple[int, int], BaseRecord] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not issubclass(model, BaseRecord):
            continue
        visible = records_visible_to(user, model).filter(pk__in=ids)
        for other in visible.only("id", "number", "title", "status"):
            found[(type_id, other.pk)] = other
    return [
        LinkedRecord(link, link.kind, link_label(link.kind, reverse=not outgoing), found[key], outgoing)
        for link, outgoing, key in sides
        if key in found
    ]  # fmt: skip


def cause_candidates(*, record: BaseRecord, user) -> list[BaseRecord]:
    """Records of any type that lately touched the record's configuration item and may have
    caused it (the changes implemented on it), as each type's `cause_candidates` selector finds
    them among those the person may see; those it is already linked to are left out. Empty for
    a record without a CI. For the "Linked records" card's "caused by" offers."""
    record_type = registry.for_model(record)
    if record_type is None or not record_type.ci_field:
        return []
    ci_id = getattr(record, f"{record_type.ci_field}_id", None)
    if not ci_id:
        return []
    linked = set()
    for link in links_of(record):
        linked |= {(link.source_type_id, link.source_id), (link.target_type_id, link.target_id)}
    found: list[BaseRecord] = []
    for other_type in registry.all_types():
        if other_type.cause_candidates:
            type_id = ContentType.objects.get_for_model(other_type.model_class).pk
            found += [
                other
                for other in other_type.call("cause_candidates")(ci_id=ci_id, user=user)
                if (type_id, other.pk) not in linked
            ]
    return found
