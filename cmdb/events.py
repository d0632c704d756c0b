"""The CI timeline's audit events (the kernel's AuditEvent table, pointed at the CI).

Called by cmdb.services inside their transaction, so a change and its audit rows commit together.
"""

from django.contrib.contenttypes.models import ContentType

from servicedesk.models import AuditEvent, AuditKind


def _event(*, ci, actor, kind, **fields) -> AuditEvent:
    return AuditEvent.objects.create(
        content_type=ContentType.objects.get_for_model(ci),
        object_id=ci.pk,
        actor=actor,
        kind=kind,
        public=False,
        **fields,
    )


def ci_created_event(*, ci, actor) -> AuditEvent:
    return _event(ci=ci, actor=actor, kind=AuditKind.CREATED, new_text=ci.name[:255])


def ci_field_changed_event(*, ci, actor, field: str, old, new, old_text: str, new_text: str):
    return _event(
        ci=ci, actor=actor, kind=AuditKind.FIELD_CHANGED, field=field[:64],
        old_value=old, new_value=new, old_text=old_text[:255], new_text=new_text[:255],
    )  # fmt: skip


def ci_status_changed_event(*, ci, actor, old: str, new: str, old_text: str, new_text: str):
    return _event(
        ci=ci, actor=actor, kind=AuditKind.STATUS_CHANGED, field="status",
        old_value=old, new_value=new, old_text=old_text, new_text=new_text,
    )  # fmt: skip


def relationship_event(*, ci, actor, added: bool, text: str) -> AuditEvent:
    return _event(
        ci=ci,
        actor=actor,
        kind=AuditKind.FIELD_CHANGED,
        field="relationships",
        old_text="" if added else text[:255],
        new_text=text[:255] if added else "",
    )
