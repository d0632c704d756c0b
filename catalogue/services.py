"""Every write on service requests, approvals and fulfilment tasks.

register >> approve >> fulfil >> close. Each public function runs in one transaction: the record,
its audit rows, its SLA timers and its e-mails commit together. Errors as in incidents: field
ValidationError (nothing saved), TransitionNotAllowed (409), PermissionDenied.
"""

from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue import notifications
from catalogue.models import (
    FulfilmentMode,
    FulfilmentTask,
    RequestItem,
    RequestStatus,
    ServiceRequest,
    TaskStatus,
)
from catalogue.records import REQUEST
from catalogue.selectors import WORK_PERMISSION, orderable_items
from catalogue.workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from servicedesk import events, registry
from servicedesk import services as kernel
from servicedesk.actors import system_actor
from servicedesk.approvals import services as approvals
from servicedesk.approvals.rules import approvers_for as rule_approvers
from servicedesk.models import ApprovalSet, AuditKind, BaseRecord, Visibility
from servicedesk.text import plain_text, sanitise_html
from sla import services as sla

S = RequestStatus
T = TaskStatus


def ensure_can_work(actor) -> None:
    """Staff and the system actor only; ActorRequired for a missing actor."""
    kernel.ensure_can_work(actor, model=ServiceRequest)


# --- Registering --------------------------------------------------------------------------------


def approvers_for(item: RequestItem, requester) -> list:
    """Who must approve a request for `item` by `requester` (empty: no approval), under the
    item's rule (servicedesk.approvals.rules): the requester's manager (or else their
    department's), the department's manager, the service owner, or the item's approver group
    (any one, all, or a quorum of them). Raises ValidationError when nobody can approve."""
    return rule_approvers(
        rule=item.approval_rule, requester=requester, service=item.service,
        group=item.approval_group, quorum=item.approval_quorum,
    )  # fmt: skip


@transaction.atomic
def request_create(
    *,
    actor,
    item: RequestItem,
    answers: Mapping[str, Any],
    files=(),
    requester=None,
    title: str = "",
    description: str = "",
) -> ServiceRequest:
    """Register a request for `item` with the answers of its form (see `catalogue.forms`).

    End users order for themselves items they may see; staff may order for someone else.
    Then: approvals asked (request awaiting approval, clock paused if the policy says so) or
    fulfilment started at once.
    """
    staff = actor.has_perm(WORK_PERMISSION)
    if requester is None or not staff:
        requester = actor
    if not orderable_items(requester if staff else actor).filter(pk=item.pk).exists():
        raise ValidationError({"item": [_("This item cannot be ordered.")]})
    approvers = approvers_for(item, requester)
    service = item.service
    fields = {
        "title": (title or item.name)[:200],
        "description": sanitise_html(description) if description else "",
        "requester": requester,
        "organisation_id": requester.organisation_id,
        "support_group": item.support_group or service.support_group,
        "item": item,
        "service": service,
        "offering": item.offering,
        "answers": dict(answers),
        "approval_rule": item.approval_rule,
    }
    record = kernel.record_create(model=ServiceRequest, actor=actor, fields=fields)
    for _name, uploaded in files:
        kernel.attachment_add(record=record, uploaded_by=actor, file=uploaded)
    offering = item.offering
    policy = offering.sla_policy if offering is not None and offering.sla_policy_id else None
    sla.start_timers(record, record_type=REQUEST.key, policy=policy)
    notifications.request_logged(record)
    if approvers:
        _move(record, S.AWAITING_APPROVAL, actor=system_actor())
        approvals.approvals_request(
            record=record, actor=system_actor(), rule=item.approval_rule,
            group=item.approval_group, quorum=item.approval_quorum, approvers=approvers,
        )  # fmt: skip
    else:
        _start_fulfilment(record)
    return record


def _move(record: ServiceRequest, target: str, *, actor, note: str = "", context=None) -> None:
    source = record.status
    kernel.record_transition(
        record=record, workflow=REQUEST_WORKFLOW, target=target, actor=actor, note=note,
        context=context,
    )  # fmt: skip
    # The SLA engine reads what the states mean from REQUEST_WORKFLOW: awaiting approval is
    # paused on the reason "approval" (a policy listing it in pause_on stops the clock), a
    # rejection cancels the timers.
    sla.record_status_changed(record, old=source, new=target, record_type=REQUEST.key)


def _start_fulfilment(record: ServiceRequest) -> None:
    """Approved (or needing no approval): the tasks of the item's templates are created."""
    _move(record, S.IN_FULFILMENT, actor=system_actor())
    templates = list(record.item.task_templates.select_related("support_group"))
    sequential = record.item.fulfilment_mode == FulfilmentMode.SEQUENTIAL
    for index, template in enumerate(templates):
        status = T.WAITING if sequential and index > 0 else T.OPEN
        task = kernel.record_create(
            model=FulfilmentTask,
            actor=system_actor(),
            fields={
                "title": template.title,
                "description": template.description,
                "requester": record.requester,
                "organisation_id": record.organisation_id,
                "support_group": template.support_group,
                **_parent_fields(record),
                "request": record,
                "order": template.order,
                "status": status,
            },
        )
        if status == T.OPEN:
            notifications.task_opened(task)


# --- Approving ----------------------------------------------------------------------------------


def approval_decide(
    *, approval_id: int, actor, approve: bool, comment: str = "", via_link: bool = False
):
    """The approver's decision on a request's approval: the kernel's
    `servicedesk.approvals.services.approval_decide`, which calls `request_approval_decided`."""
    return approvals.approval_decide(
        approval_id=approval_id, actor=actor, approve=approve, comment=comment, via_link=via_link
    )


def request_approval_decided(
    *, record: ServiceRequest, approval_set: ApprovalSet, actor, approved: bool, comment: str
) -> None:
    """The request's approval set is decided (the registry's `ApprovalHooks.decided`).

    Preconditions: called by the kernel's `approval_decide` with the request, the set and its
    approvals locked. Approved: fulfilment starts (the tasks are created) and the requester
    is told. Rejected: the request closes as rejected with the approver's reason, the
    requester is told.
    """
    now = timezone.now()
    if not approved:
        record.close_reason = comment
        record.closed_at = now
        record.save(update_fields=["close_reason", "closed_at"])
        _move(
            record, S.REJECTED, actor=actor,
            note=_("Rejected by %(person)s: %(reason)s") % {"person": actor, "reason": comment},
            context={"reason": comment},
        )  # fmt: skip
        notifications.request_rejected(record)
        return
    record.approved_at = now
    record.save(update_fields=["approved_at"])
    _start_fulfilment(record)
    notifications.request_approved(record)


# --- Fulfilling ---------------------------------------------------------------------------------


def _parent_fields(parent: BaseRecord) -> dict[str, Any]:
    return {
        "parent_type": ContentType.objects.get_for_model(parent),
        "parent_id": parent.pk,
        "parent_number": parent.number,
    }


def _lock_parent(parent_type_id: int, parent_id: int) -> BaseRecord:
    """Lock a task's parent record (parent before child, docs/architecture.md "Lock order")."""
    model = ContentType.objects.get_for_id(parent_type_id).model_class()
    if model is None or not issubclass(model, BaseRecord) or registry.for_model(model) is None:
        raise ValidationError({"parent": [_("Tasks can only be added to records.")]})
    return kernel.record_lock(model=model, pk=parent_id)


@transaction.atomic
def task_add(
    *,
    parent: BaseRecord,
    actor,
    title: str,
    description: str = "",
    support_group=None,
    assignee=None,
    due_at=None,
) -> FulfilmentTask:
    """Add a task to any record (an incident, a problem, a change, a request): assigned to a
    support group, an agent (of that group), or both, optionally due at a time.

    Preconditions: none; the actor must work both the parent's type and tasks. The parent is
    locked first, then the task is created (`kernel.record_create`: its number, its `created`
    event, an `assigned` event for its holder) and the parent's timeline gets an agent-only
    "task" event, all in this transaction. Raises PermissionDenied, TransitionNotAllowed (a
    finished parent) and ValidationError by field (no title, no holder, an assignee outside
    the group or not staff, a due time in the past).
    """
    record_type = registry.for_model(type(parent))
    if record_type is None or type(parent) is FulfilmentTask:
        raise ValidationError({"parent": [_("Tasks can only be added to records.")]})
    kernel.ensure_can_work(actor, model=type(parent))
    ensure_can_work(actor)
    errors: dict[str, list[str]] = {}
    title = plain_text(title or "").strip()
    if not title:
        errors["title"] = [_("Give the task a title.")]
    if support_group is None and assignee is None:
        errors["support_group"] = [_("Choose a support group or an agent.")]
    if assignee is not None and not assignee.has_perm(WORK_PERMISSION):
        errors["assignee"] = [_("%(person)s does not work tasks.") % {"person": assignee}]
    elif (
        assignee is not None
        and support_group is not None
        and not kernel.is_member(assignee, support_group)
    ):
        errors["assignee"] = [
            _("%(person)s is not a member of %(group)s.")
            % {"person": assignee, "group": support_group}
        ]
    if due_at is not None and due_at <= timezone.now():
        errors["due_at"] = [_("The due time must be in the future.")]
    if errors:
        raise ValidationError(errors)
    if assignee is not None and support_group is None:
        support_group = assignee.support_groups.filter(is_active=True).order_by("name").first()
    locked = kernel.record_lock(model=type(parent), pk=parent.pk)
    kernel.ensure_not_final(locked, _("%(number)s is %(status)s: it takes no more tasks."))
    last = (
        FulfilmentTask.objects.filter(
            parent_type=ContentType.objects.get_for_model(locked), parent_id=locked.pk
        )
        .order_by("-order")
        .values_list("order", flat=True)
        .first()
    )
    task = kernel.record_create(
        model=FulfilmentTask,
        actor=actor,
        fields={
            "title": title[:200],
            "description": description,
            "requester": locked.requester,
            "organisation_id": locked.organisation_id,
            "support_group": support_group,
            "assignee": assignee,
            "due_at": due_at,
            "order": (last or 0) + 10,
            **_parent_fields(locked),
            "request": locked if isinstance(locked, ServiceRequest) else None,
        },
    )
    if support_group is not None or assignee is not None:
        events.field_changed_event(
            record=task, actor=actor, field="assignee" if assignee else "support_group",
            old=None, new=assignee or support_group, public=False,
        )  # fmt: skip
    events.record_event(
        record=locked, actor=actor, kind=AuditKind.FIELD_CHANGED, field="task",
        new_value=task.number, new_text=task.number, note=task.title, public=False,
    )  # fmt: skip
    notifications.task_opened(task)
    return task


def _lock_task(task_id, version=None) -> FulfilmentTask:
    return kernel.record_lock(model=FulfilmentTask, pk=task_id, expected_version=version)


def task_assign(
    *, task_id: int, actor, assignee=None, support_group=None, version: int | None = None
) -> FulfilmentTask:
    """Give a task to a person of its group, or of `support_group` (`kernel.record_assign`)."""
    return kernel.record_assign(
        model=FulfilmentTask, record_id=task_id, actor=actor, support_group=support_group,
        assignee=assignee, version=version, keep_group=True,
    )  # fmt: skip


def task_take(*, task_id: int, actor, version: int | None = None) -> FulfilmentTask:
    """ "Assign to me" on a task (`kernel.record_take`). A task somebody else holds is taken
    over only with the version the caller saw (StaleVersion, 409, otherwise): of two
    simultaneous takes one wins."""
    return kernel.record_take(model=FulfilmentTask, record_id=task_id, actor=actor, version=version)


@transaction.atomic
def task_transition(
    *, task_id: int, actor, target: str, note: str = "", version=None
) -> FulfilmentTask:
    """Work a task: start, put back, finish or cancel it. Finishing opens the next task of a
    sequential item; when no task is left open the request is closed (fulfilled)."""
    ensure_can_work(actor)
    # Lock order: the request before its tasks (docs/architecture.md), so two agents finishing
    # parallel tasks of one request queue on the request instead of deadlocking on each other.
    # A task of another record locks that record first the same way; only a request's tasks
    # move their parent (the next task opens, the request closes).
    parent_type_id, parent_id, request_id = (
        FulfilmentTask.objects.filter(pk=task_id)
        .values_list("parent_type_id", "parent_id", "request_id")
        .get()
    )
    if request_id is None:
        _lock_parent(parent_type_id, parent_id)
        task = _lock_task(task_id, version)
        _work_task(task, actor=actor, target=target, note=note)
        return task
    record = kernel.record_lock(model=ServiceRequest, pk=request_id)
    task = _lock_task(task_id, version)
    _work_task(task, actor=actor, target=target, note=note)
    if target == T.IN_PROGRESS and record.first_responded_at is None:
        kernel.record_responded(record, at=timezone.now(), reply=False)
    if target in (T.DONE, T.CANCELLED):
        _after_task_finished(record, actor=actor)
    return task


def _work_task(task: FulfilmentTask, *, actor, target: str, note: str) -> None:
    """Move a locked task; starting or finishing it unassigned gives it to the actor."""
    if target in (T.IN_PROGRESS, T.DONE) and not task.assignee_id:
        # Starting or finishing an unassigned task gives it to the actor, on the timeline too.
        kernel.record_update(
            record=task, actor=actor, changes={"assignee": actor}, internal={"assignee"}
        )
    kernel.record_transition(
        record=task, workflow=TASK_WORKFLOW, target=target, actor=actor, note=note
    )
    if target == T.DONE:
        task.completed_at = timezone.now()
        task.save(update_fields=["completed_at"])


def _lock_tasks(record: ServiceRequest, *, exclude_status=()) -> list[FulfilmentTask]:
    """The request's tasks, locked in primary-key order. Precondition: the request is locked."""
    tasks = record.tasks.select_for_update(of=("self",)).order_by("pk")
    if exclude_status:
        tasks = tasks.exclude(status__in=exclude_status)
    return list(tasks)


def _after_task_finished(record: ServiceRequest, *, actor) -> None:
    tasks = sorted(_lock_tasks(record), key=lambda t: (t.order, t.pk))
    if any(t.status in (T.OPEN, T.IN_PROGRESS) for t in tasks):
        return
    waiting = [t for t in tasks if t.status == T.WAITING]
    if waiting:
        following = waiting[0]
        kernel.record_transition(
            record=following, workflow=TASK_WORKFLOW, target=T.OPEN, actor=system_actor(),
            note=_("The previous task is done."),
        )  # fmt: skip
        notifications.task_opened(following)
        return
    if record.status == S.IN_FULFILMENT and any(t.status == T.DONE for t in tasks):
        _close(record, actor=actor, note=_("Every fulfilment task is done."))


def _close(record: ServiceRequest, *, actor, note: str = "") -> None:
    record.closed_at = timezone.now()
    record.save(update_fields=["closed_at"])
    _move(record, S.CLOSED, actor=actor, note=note)
    notifications.request_closed(record)


@transaction.atomic
def request_close(
    *, request_id: int, actor, note: str = "", version: int | None = None
) -> ServiceRequest:
    """Staff close a request by hand (e.g. one without tasks); its open tasks are cancelled.
    StaleVersion (409) when `version` is not the stored one."""
    ensure_can_work(actor)
    record = kernel.record_lock(model=ServiceRequest, pk=request_id, expected_version=version)
    _cancel_tasks(record, actor)
    approvals.approvals_withdraw(record=record, actor=actor)
    _close(record, actor=actor, note=note)
    return record


def _cancel_tasks(record, actor) -> None:
    for task in _lock_tasks(record, exclude_status=[T.DONE, T.CANCELLED]):
        kernel.record_transition(
            record=task, workflow=TASK_WORKFLOW, target=T.CANCELLED, actor=actor
        )


@transaction.atomic
def request_cancel(
    *, request_id: int, actor, reason: str, version: int | None = None
) -> ServiceRequest:
    """The requester (or staff) withdraws an open request, with a reason.
    StaleVersion (409) when `version` is not the stored one."""
    record = kernel.record_lock(model=ServiceRequest, pk=request_id, expected_version=version)
    if record.requester_id != actor.pk:
        ensure_can_work(actor)
    reason = plain_text(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you cancel it.")]})
    _cancel_tasks(record, actor)
    approvals.approvals_withdraw(record=record, actor=actor)
    record.close_reason = reason
    record.closed_at = timezone.now()
    record.save(update_fields=["close_reason", "closed_at"])
    _move(record, S.CANCELLED, actor=actor, note=reason, context={"reason": reason})
    return record


# --- Conversation and rating ----------------------------------------------------------------------


def request_comment(
    *, request_id: int, actor, body: str, visibility: str = Visibility.PUBLIC, files=()
):
    """A public reply or a work note on a request (`kernel.record_comment`). Requesters reply
    publicly on their own; a finished request takes no more comments."""
    return kernel.record_comment(
        model=ServiceRequest, record_id=request_id, actor=actor, body=body,
        visibility=visibility, files=files,
        not_yours=_("You can only reply to your own requests."),
        closed_message=_("%(number)s is finished; order again or report a problem instead."),
    )  # fmt: skip


def after_agent_reply(record: ServiceRequest, *, actor, comment) -> None:
    """The registry's `on_agent_reply` hook: the requester hears of a public staff reply."""
    notifications.request_replied(record, comment)


@transaction.atomic
def task_comment(*, task_id: int, actor, body: str):
    """A work note on a task (tasks are internal: the requester follows the request)."""
    ensure_can_work(actor)
    task = _lock_task(task_id)
    return kernel.comment_add(record=task, author=actor, body=body, visibility=Visibility.INTERNAL)


def rate(*, record, actor, score, comment: str = ""):
    """The requester rates a finished request or a resolved/closed incident (1-5, a comment):
    the kernel's rule for every record type (`servicedesk.services.record_rate`)."""
    return kernel.record_rate(record=record, actor=actor, score=score, comment=comment)
