"""Asking for and deciding approvals on any record (see `servicedesk.approvals`).

Lock order (docs/architecture.md): the record, then its approval set, then the set's approvals
in primary-key order. Every change writes an `approval` audit event on the record's timeline
in the same transaction; the approvers' e-mails are outbox rows of that transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk import events, registry
from servicedesk.actors import actor_required
from servicedesk.announce import APPROVAL_NEEDED, announce
from servicedesk.approvals.rules import approvers_for, quorum_for, rejection_decides
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import (
    GROUP_RULES,
    Approval,
    ApprovalRule,
    ApprovalSet,
    ApprovalSetStatus,
    AuditKind,
    BaseRecord,
    Decision,
)
from servicedesk.notifications import notify
from servicedesk.services import record_lock
from servicedesk.text import plain_text

if TYPE_CHECKING:
    from django.contrib.auth.models import Group

    from accounts.models import User

APPROVAL_REQUESTED = "approval_requested"  # the notification kind of an approver's e-mail


def approval_hooks(record: BaseRecord | type[BaseRecord]) -> registry.ApprovalHooks:
    """The record type's approval declaration; ImproperlyConfigured when it has none."""
    record_type = registry.for_model(record)
    if record_type is None or record_type.approvals is None:
        raise ImproperlyConfigured(f"{record._meta.label} declares no approvals in the registry")
    return record_type.approvals


def approvers_of(
    *, record: BaseRecord, rule: str, group: Group | None = None, quorum: int | None = None
) -> list[User]:
    """Who must approve `record` under `rule`, its requester and service read as its record type
    declares them (`ApprovalHooks`). Also for a record not saved yet. ValidationError as
    `rules.approvers_for`."""
    hooks = approval_hooks(record)
    service = getattr(record, hooks.service_field) if hooks.service_field else None
    if rule == ApprovalRule.SERVICE_OWNER and not hooks.service_field:
        raise ValidationError({"__all__": [_("This kind of record has no service owner.")]})
    return approvers_for(
        rule=rule,
        requester=getattr(record, hooks.requester_field),
        service=service,
        group=group,
        quorum=quorum,
    )


def approval_event(record: BaseRecord, *, actor: Any, text: str, note: str = "") -> None:
    """An approval asked, decided or withdrawn, on the record's timeline (public)."""
    events.record_event(
        record=record, actor=actor, kind=AuditKind.FIELD_CHANGED, field="approval",
        new_text=text[:255], note=note,
    )  # fmt: skip


def approvals_request(
    *,
    record: BaseRecord,
    actor: Any,
    rule: str,
    group: Group | None = None,
    quorum: int | None = None,
    approvers: list[User] | None = None,
) -> ApprovalSet | None:
    """Ask for approval of `record` under `rule`: one approval set, one pending approval per
    approver, an "Approval asked of …" event each and an e-mail each with its signed link.

    Preconditions: the record is saved and held by the caller's transaction (created or locked
    in it). `approvers`, when given, are those `approvers_of` returned for the same rule
    before the record was saved. Returns None under "no approval" (nothing written).
    Raises ValidationError when nobody can approve (nothing written), TransitionNotAllowed when
    an approval set of the record is still waiting.
    """
    actor_required(actor)
    if rule in GROUP_RULES and group is None:
        raise ValidationError({"__all__": [_("Choose the group that approves.")]})
    if approvers is None:
        approvers = approvers_of(record=record, rule=rule, group=group, quorum=quorum)
    if not approvers:
        return None
    content_type = ContentType.objects.get_for_model(record)
    waiting = ApprovalSet.objects.filter(
        content_type=content_type, object_id=record.pk, status=ApprovalSetStatus.PENDING
    )
    if waiting.exists():
        raise TransitionNotAllowed(_("An approval of this record is already waiting."))
    approval_set = ApprovalSet.objects.create(
        content_type=content_type,
        object_id=record.pk,
        rule=rule,
        group=group if rule in GROUP_RULES else None,
        quorum=quorum_for(rule=rule, approvers=approvers, quorum=quorum),
    )
    for person in sorted(approvers, key=lambda person: person.pk):
        Approval.objects.create(
            approval_set=approval_set, content_type=content_type, object_id=record.pk,
            approver=person,
        )  # fmt: skip
        approval_event(
            record, actor=actor, text=_("Approval asked of %(person)s") % {"person": person}
        )
        # One e-mail per approver: each carries that approver's own signed link.
        notify(record, APPROVAL_REQUESTED, user_ids=[person.pk])
    announce(record=record, kind=APPROVAL_NEEDED, actor=actor,
             detail={"approvers": [person.email for person in approvers], "rule": rule})  # fmt: skip
    return approval_set


@transaction.atomic
def approval_decide(
    *, approval_id: int, actor: Any, approve: bool, comment: str = "", via_link: bool = False
) -> Approval:
    """The approver's decision on one approval.

    Only the approver named on it decides, once (PermissionDenied, TransitionNotAllowed); a
    rejection needs a reason (ValidationError on `comment`, nothing saved). Locks the record,
    then its set, then the set's approvals in primary-key order. Writes an "Approved by …" or
    "Rejected by …" event. When the decision decides the set (the quorum reached; a rejection
    under every rule but the quorum's, where it must leave the quorum out of reach), the other
    waiting approvals become "no longer needed" and the record type's `decided` callback runs
    in this transaction (a service request starts fulfilment or closes as rejected).
    """
    actor_required(actor)
    found = (
        Approval.objects.filter(pk=approval_id)
        .values_list("approver_id", "content_type_id", "object_id", "approval_set_id")
        .first()
    )
    if found is None:
        raise Approval.DoesNotExist(_("No such approval."))
    approver_id, content_type_id, object_id, set_id = found
    if approver_id != actor.pk:
        raise PermissionDenied(_("Only the approver named on it can decide this approval."))
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or not issubclass(model, BaseRecord):
        raise ImproperlyConfigured("an approval points at something that is not a record")
    record = record_lock(model=model, pk=object_id)
    approval_set = ApprovalSet.objects.select_for_update().get(pk=set_id)
    rows = list(approval_set.approvals.select_for_update().order_by("pk"))
    approval = next(row for row in rows if row.pk == approval_id)
    if approval.decision != Decision.PENDING or not approval_set.is_pending:
        raise TransitionNotAllowed(_("This approval has already been decided."))
    comment = plain_text(comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": [_("Say why you reject it: the requester reads it.")]})
    now = timezone.now()
    approval.decision = Decision.APPROVED if approve else Decision.REJECTED
    approval.decided_at = now
    approval.comment = comment
    approval.via_link = via_link
    approval.save(update_fields=["decision", "decided_at", "comment", "via_link"])
    text = _("Approved by %(person)s") if approve else _("Rejected by %(person)s")
    approval_event(record, actor=actor, text=text % {"person": actor}, note=comment)
    approved = sum(row.decision == Decision.APPROVED for row in rows)
    pending = sum(row.decision == Decision.PENDING for row in rows)
    if approve and approved < approval_set.quorum:
        return approval
    if not approve and not rejection_decides(
        rule=approval_set.rule, quorum=approval_set.quorum, approved=approved, pending=pending
    ):
        return approval
    _finish(approval_set, ApprovalSetStatus.APPROVED if approve else ApprovalSetStatus.REJECTED)
    decided = registry.for_model(record)
    hooks = decided.approvals if decided is not None else None
    if hooks is not None:
        callback = registry.resolve(hooks.decided)
        callback(
            record=record, approval_set=approval_set, actor=actor, approved=approve,
            comment=comment,
        )  # fmt: skip
    return approval


def _finish(approval_set: ApprovalSet, status: str) -> None:
    """Close a set: its waiting approvals are no longer needed. Precondition: the set and its
    approvals are locked."""
    now = timezone.now()
    approval_set.approvals.filter(decision=Decision.PENDING).update(
        decision=Decision.NOT_NEEDED, decided_at=now
    )
    approval_set.status = status
    approval_set.decided_at = now
    approval_set.save(update_fields=["status", "decided_at"])


def approvals_withdraw(*, record: BaseRecord, actor: Any) -> int:
    """The record no longer needs approval (a request cancelled while it waits): its waiting
    sets are withdrawn and their waiting approvals are no longer needed, with an "Approval
    withdrawn" event. Precondition: the caller holds the record's lock. Returns how many sets
    were withdrawn."""
    actor_required(actor)
    content_type = ContentType.objects.get_for_model(record)
    waiting = list(
        ApprovalSet.objects.select_for_update()
        .filter(content_type=content_type, object_id=record.pk, status=ApprovalSetStatus.PENDING)
        .order_by("pk")
    )
    for approval_set in waiting:
        list(approval_set.approvals.select_for_update().order_by("pk"))
        _finish(approval_set, ApprovalSetStatus.CANCELLED)
        approval_event(record, actor=actor, text=_("Approval withdrawn"))
    return len(waiting)
