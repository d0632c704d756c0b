"""Working a record of any registered type: who may work it, assign and take, reply and attach.

Each record app keeps thin wrappers (`incident_assign`, `task_take`, ...) that name its model and
its own wording; what differs by type is its registry declaration (servicedesk/registry.py):
`work_permission` (who is staff for it), `sla_metrics` (whether the SLA engine times it) and the
hooks `on_assigned`, `on_agent_reply` and `on_requester_reply` (its counters, automatic moves and
e-mails), called inside the service's transaction after the kernel's part.

Errors: ValidationError with field errors (nothing saved), PermissionDenied, StaleVersion (409)
and TransitionNotAllowed (409) for a record in a final state.
"""

from collections.abc import Collection
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import can_see_internal
from servicedesk import registry
from servicedesk.actors import actor_required
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import Attachment, BaseRecord, Comment, Visibility
from servicedesk.services.records import (
    R,
    attachment_add,
    comment_add,
    record_lock,
    record_take_check,
    record_update,
)


def _record_type(model: type[BaseRecord]) -> registry.RecordType:
    record_type = registry.for_model(model)
    if record_type is None:
        raise LookupError(f"{model._meta.label} is not a registered record type")
    return record_type


def ensure_can_work(actor, *, model: type[BaseRecord]) -> None:
    """Refuse anyone but the staff who work this record type: the type's `work_permission`,
    which the agents' roles and the system actor hold. PermissionDenied; ActorRequired for a
    missing actor."""
    actor_required(actor)
    permission = _record_type(model).work_permission
    if not permission or not actor.has_perm(permission):
        raise PermissionDenied(_("Only service desk staff can do this."))


def is_member(user, group) -> bool:
    """Whether the person leads or belongs to the support group."""
    return group.lead_id == user.pk or group.members.filter(pk=user.pk).exists()


def ensure_not_final(record: BaseRecord, message: str = "") -> None:
    """TransitionNotAllowed (409) when the record's workflow has no way on from its status.

    `message` may name `%(number)s` and `%(status)s`."""
    if type(record).WORKFLOW.is_final(record.status):
        _refuse_closed(record, message)


def _refuse_closed(record: BaseRecord, message: str) -> None:
    label = str(type(record).WORKFLOW.labels.get(record.status, record.status))
    text = message or _("%(number)s is %(status)s and can no longer be changed.")
    raise TransitionNotAllowed(text % {"number": record.number, "status": label.lower()})


@transaction.atomic
def record_assign(
    *,
    model: type[R],
    record_id: int,
    actor,
    support_group,
    assignee=None,
    version: int | None = None,
    keep_group: bool = False,
) -> R:
    """Give a record to a support group and optionally a person in it.

    Preconditions: none (the staff check is here). The record is locked and checked against
    `version`. Without a group the record's own is kept when `keep_group`, else it is a field
    error. Assigning what it already has changes nothing. Otherwise: one agent-only audit row
    per changed field (requesters see status changes, not names), the SLA engine told of a new
    group when it times the type, then the type's `on_assigned(record, actor=, previous=)` hook.

    Raises PermissionDenied, StaleVersion, TransitionNotAllowed (a final record), and
    ValidationError (no group; an assignee outside the group).
    """
    record_type = _record_type(model)
    ensure_can_work(actor, model=model)
    record = record_lock(model=model, pk=record_id, expected_version=version)
    ensure_not_final(record)
    group = support_group or (record.support_group if keep_group else None)
    if group is None:
        raise ValidationError({"support_group": [_("Choose a support group.")]})
    if assignee is not None and not is_member(assignee, group):
        raise ValidationError(
            {"assignee": [_("%(person)s is not a member of %(group)s.")
                          % {"person": assignee, "group": group}]}
        )  # fmt: skip
    previous = (record.support_group_id, record.assignee_id)
    if previous == (group.pk, assignee.pk if assignee else None):
        return record
    changes = {"support_group": group, "assignee": assignee}
    record_update(record=record, actor=actor, changes=changes, internal=changes)
    if record_type.timed and previous[0] != group.pk:
        registry.sla("group_changed")(record, record_type=record_type.key)
    record_type.hook("on_assigned", record, actor=actor, previous=previous)
    return record


@transaction.atomic
def record_take(*, model: type[R], record_id: int, actor, version: int | None = None) -> R:
    """ "Assign to me": the actor becomes the assignee, in the record's group if they are in it,
    otherwise in their own (first) group.

    The row is locked before the current holder is read. Taking a record somebody else holds
    needs the version the caller saw (StaleVersion, 409, without it or when it is old), so of
    two agents taking one record at once exactly one wins. Raises as `record_assign`, and
    ValidationError when the actor is in no support group.
    """
    ensure_can_work(actor, model=model)
    record = record_lock(model=model, pk=record_id, expected_version=version)
    ensure_not_final(record)
    record_take_check(record=record, actor=actor, expected_version=version)
    group = record.support_group
    if group is None or not is_member(actor, group):
        group = actor.support_groups.filter(is_active=True).order_by("name").first()
        if group is None:
            raise ValidationError({"assignee": [_("You are not a member of any support group.")]})
    return record_assign(
        model=model, record_id=record_id, actor=actor, support_group=group, assignee=actor
    )


FIRST_RESPONSE = "first_responded_at"


def _has_field(record: BaseRecord, name: str) -> bool:
    try:
        record._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def record_responded(record: BaseRecord, *, at: datetime, reply: bool = True) -> None:
    """The desk answered: the record's `first_responded_at` (when the type has one) is set the
    first time, and the SLA engine is told when it times the type: a public reply meets the
    first response and restarts the update interval (`agent_replied`); other first responses
    (a request's task started) meet the first response only (`reply=False`).

    Precondition: the record is locked.
    """
    # The field is the record type's own (not the base record's), when it has one.
    if _has_field(record, FIRST_RESPONSE) and getattr(record, FIRST_RESPONSE) is None:
        setattr(record, FIRST_RESPONSE, at)
        record.save(update_fields=[FIRST_RESPONSE])
    record_type = registry.for_model(record)
    if record_type is not None and record_type.timed:
        registry.sla("agent_replied" if reply else "first_response")(record, at=at)


def _requester_only(record: BaseRecord, actor, message: str) -> bool:
    """True for staff; a requester acts on their own record only (PermissionDenied)."""
    actor_required(actor)
    if can_see_internal(actor):
        return True
    if record.requester_id != actor.pk:
        raise PermissionDenied(message or _("You can only add to your own records."))
    return False


@transaction.atomic
def record_comment(
    *,
    model: type[BaseRecord],
    record_id: int,
    actor,
    body: str,
    visibility: str = Visibility.PUBLIC,
    files=(),
    not_yours: str = "",
    closed_in: Collection[str] | None = None,
    closed_message: str = "",
) -> Comment:
    """A public reply or an internal work note on any record, with optional files.

    The record is locked. Staff write either; anyone else only on a record they asked for,
    always publicly (`not_yours`: the PermissionDenied message). A record in one of
    `closed_in` (default: its workflow's final states) takes no more comments
    (TransitionNotAllowed with `closed_message`, which may name `%(number)s` and `%(status)s`). A public staff
    reply is a response (`record_responded`: first response, update interval), then the type's
    `on_agent_reply(record, actor=, comment=)` hook; the requester's reply calls
    `on_requester_reply` (an incident waiting for them goes back to work). Raises
    ValidationError on an empty text or a refused file; then nothing is saved.
    """
    actor_required(actor)
    record = record_lock(model=model, pk=record_id)
    staff = _requester_only(record, actor, not_yours)
    if not staff:
        visibility = Visibility.PUBLIC
    closed = (
        record.status in closed_in
        if closed_in is not None
        else type(record).WORKFLOW.is_final(record.status)
    )
    if closed:
        _refuse_closed(record, closed_message)
    comment = comment_add(
        record=record, author=actor, body=body, visibility=visibility, files=files
    )
    record_type = _record_type(model)
    if staff and visibility == Visibility.PUBLIC:
        record_responded(record, at=comment.created_at)
        record_type.hook("on_agent_reply", record, actor=actor, comment=comment)
    elif not staff:
        record_type.hook("on_requester_reply", record, actor=actor, comment=comment)
    return comment


@transaction.atomic
def record_attach(
    *,
    model: type[BaseRecord],
    record_id: int,
    actor,
    file,
    visibility: str = Visibility.PUBLIC,
    not_yours: str = "",
) -> Attachment:
    """A file on any record. The record is locked; requesters attach to their own records,
    always publicly (`not_yours`: the PermissionDenied message); a record in a final state takes
    no more files (TransitionNotAllowed). Size and type are checked (ValidationError on `file`).
    """
    actor_required(actor)
    record = record_lock(model=model, pk=record_id)
    if not _requester_only(record, actor, not_yours):
        visibility = Visibility.PUBLIC
    ensure_not_final(record)
    return attachment_add(record=record, uploaded_by=actor, file=file, visibility=visibility)
