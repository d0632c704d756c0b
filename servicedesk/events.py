"""Audit events, one function per kind. Called by services inside their transaction.

Every event names its actor: a person, or the system actor for automation
(`servicedesk.actors.system_actor()`); `None` is refused with ActorRequired.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy

from servicedesk.actors import actor_required
from servicedesk.announce import (
    ASSIGNED,
    CREATED,
    FIELD_CHANGED,
    MAJOR_INCIDENT,
    STATUS_CHANGED,
    announce,
)
from servicedesk.models import AuditEvent, AuditKind
from servicedesk.text import plain_text

# Audit kinds that are record events for the listeners (servicedesk/announce.py).
_ANNOUNCED: dict[str, str] = {AuditKind.CREATED: CREATED, AuditKind.ASSIGNED: ASSIGNED,
              AuditKind.STATUS_CHANGED: STATUS_CHANGED,
              AuditKind.FIELD_CHANGED: FIELD_CHANGED}  # fmt: skip


# Labels of the audit events' "fields" that are no model field (a task added to a record, a
# checklist item ticked), registered by the apps that write them in their ready():
# {"checklist": gettext_lazy("checklist")}; the timeline shows them in the reader's language.
# The kernel's own: the link and merge events below.
FIELD_LABELS: dict[str, Any] = {
    "link": gettext_lazy("linked record"),
    "merge": gettext_lazy("merged record"),
}


def _json(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _text(record, field_name: str, value) -> str:
    if value is None or value == "":
        return ""
    field = record._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))[:255]
    if hasattr(record, "audit_choices"):  # lists an administrator keeps
        return str(record.audit_choices(field_name).get(value, value))[:255]
    if isinstance(value, dict | list):
        return " · ".join(_leaves(value))[:255]
    if field.get_internal_type() == "TextField":
        return plain_text(str(value))[:255]  # rich text is shown without its tags
    return str(value)[:255]


def _leaves(value) -> list[str]:
    """The texts in a structured value (a JSON field's notes), in order, without the empty."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _leaves(item)]
    if isinstance(value, list):
        return [text for item in value for text in _leaves(item)]
    return [str(value)] if value not in (None, "") else []


def record_event(*, record, actor, kind: str, **fields) -> AuditEvent:
    """One audit row on any row with a timeline (records, CIs): `fields` are AuditEvent fields
    (field, old_value, new_value, old_text, new_text, note, public). The kinds below build on
    it; apps call it for events of their own (approvals, relationships)."""
    actor_required(actor)
    event = AuditEvent.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        actor=actor,
        kind=kind,
        **fields,
    )
    _announce(record, event)
    return event


def _announce(record, event: AuditEvent) -> None:
    detail = {"field": event.field, "old": event.old_value, "new": event.new_value}
    if event.kind in _ANNOUNCED:
        announce(record=record, kind=_ANNOUNCED[event.kind], actor=event.actor, detail=detail)
    major = event.field == "major_incident" and event.new_value is True
    if major or (event.kind == AuditKind.CREATED and getattr(record, "major_incident", False)):
        announce(record=record, kind=MAJOR_INCIDENT, actor=event.actor, detail=detail)


def record_created_event(*, record, actor) -> AuditEvent:
    return record_event(record=record, actor=actor, kind=AuditKind.CREATED, new_text=record.number)


def field_changed_event(*, record, actor, field: str, old, new, public=True) -> AuditEvent:
    kind = AuditKind.ASSIGNED if field in {"assignee", "support_group"} else AuditKind.FIELD_CHANGED
    return record_event(
        record=record,
        actor=actor,
        kind=kind,
        field=field,
        old_value=_json(old),
        new_value=_json(new),
        old_text=_text(record, field, old),
        new_text=_text(record, field, new),
        public=public,
    )


def status_changed_event(*, record, actor, old: str, new: str, note: str = "") -> AuditEvent:
    return record_event(
        record=record,
        actor=actor,
        kind=AuditKind.STATUS_CHANGED,
        field="status",
        old_value=old,
        new_value=new,
        old_text=_text(record, "status", old),
        new_text=_text(record, "status", new),
        note=note,
    )


def record_linked_event(*, record, actor, kind: str, reverse: bool, other) -> AuditEvent:
    """A link to `other` added on `record`'s timeline, agents only. `reverse` when `record` is
    the link's target (its label is then the reverse one: "has duplicate")."""
    return _link_event(
        record=record, actor=actor, event_kind=AuditKind.LINKED, kind=kind, reverse=reverse,
        other=other,
    )  # fmt: skip


def record_unlinked_event(*, record, actor, kind: str, reverse: bool, other) -> AuditEvent:
    return _link_event(
        record=record, actor=actor, event_kind=AuditKind.UNLINKED, kind=kind, reverse=reverse,
        other=other,
    )  # fmt: skip


def _link_event(*, record, actor, event_kind, kind, reverse, other) -> AuditEvent:
    value = {"kind": kind, "reverse": reverse, "number": other.number}
    return record_event(
        record=record,
        actor=actor,
        kind=event_kind,
        field="link",
        old_value=value if event_kind == AuditKind.UNLINKED else None,
        new_value=value if event_kind == AuditKind.LINKED else None,
        new_text=other.number,
        public=False,
    )


def record_merged_event(*, record, actor, duplicate, note: str = "") -> AuditEvent:
    """`duplicate` was merged into `record` (the survivor), agents only."""
    return record_event(
        record=record,
        actor=actor,
        kind=AuditKind.MERGED,
        field="merge",
        new_value={"number": duplicate.number},
        new_text=duplicate.number,
        note=note,
        public=False,
    )


def redacted_event(*, row, actor, what: str, text: str = "", note: str = "") -> AuditEvent:
    """A comment or file of a record redacted (`what`: "comment" or "attachment"), on the
    record's timeline, shown to whoever saw the row."""
    actor_required(actor)
    return AuditEvent.objects.create(
        content_type_id=row.content_type_id,
        object_id=row.object_id,
        actor=actor,
        kind=AuditKind.REDACTED,
        field=what,
        old_value=row.pk,
        old_text=text[:255],
        note=note,
        public=row.visibility == "public",
    )
