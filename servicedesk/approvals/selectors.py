"""Who sees which approvals, and the records behind them.

An approver sees their own approvals and, through them, the records they are asked to decide
(number, title, requester and what the record type's summary shows); a record type's
`visible_to` adds `approvable_by(user, Model)` so its own pages let the approver in too where
it wants that. Nobody sees another person's approval: it is a 404 (`Approval.DoesNotExist`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Exists, Model, OuterRef, QuerySet

from servicedesk import registry
from servicedesk.models import Approval, ApprovalSetStatus, BaseRecord, Decision


def approvable_by(user: Any, model: type[Model]) -> Exists:
    """`Exists(...)` over `OuterRef("pk")`: the record has an approval asked of `user` (one
    index scan on the approver's approvals). For a record type's `visible_to`."""
    return Exists(
        Approval.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
            approver=user,
        )
    )


def _records_prefetch() -> GenericPrefetch:
    """The approvals' records, one query per record type, each with its requester."""
    querysets = []
    for record_type in registry.all_types():
        if record_type.approvals is not None:
            model = record_type.model_class
            querysets.append(
                model._default_manager.select_related(record_type.approvals.requester_field)
            )
    return GenericPrefetch("record", querysets)


def _approvals_with_records() -> QuerySet[Approval]:
    return Approval.objects.select_related(
        "approval_set", "approver", "content_type"
    ).prefetch_related(_records_prefetch())


def approvals_waiting_for(user: Any) -> QuerySet[Approval]:
    """The approvals waiting for `user`'s decision, oldest first, over every record type."""
    if not user.is_authenticated:
        return Approval.objects.none()
    return (
        _approvals_with_records()
        .filter(
            approver=user,
            decision=Decision.PENDING,
            approval_set__status=ApprovalSetStatus.PENDING,
        )
        .order_by("created_at", "pk")
    )


def approvals_of(user: Any) -> QuerySet[Approval]:
    """Every approval asked of `user`, decided or not, newest first."""
    if not user.is_authenticated:
        return Approval.objects.none()
    return _approvals_with_records().filter(approver=user).order_by("-created_at", "-pk")


def approval_get(*, user: Any, pk: int) -> Approval:
    """One of `user`'s approvals; Approval.DoesNotExist (a 404) for anyone else's."""
    return approvals_of(user).get(pk=pk)


def record_approvals(record: BaseRecord) -> QuerySet[Approval]:
    """A record's approvals, every round, in the order they were asked, with their approvers.
    Shown to whoever may see the record."""
    return (
        Approval.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
        .select_related("approver", "approval_set")
        .order_by("created_at", "pk")
    )


def approval_summary_template(approval: Approval) -> str:
    """The template showing an approver what the approval's record asks for (its record type's
    `ApprovalHooks.summary_template`), or "" when the type declares none."""
    record_type = registry.for_model(approval.content_type.model_class() or Approval)
    hooks = record_type.approvals if record_type is not None else None
    return (hooks.summary_template or "") if hooks is not None else ""
