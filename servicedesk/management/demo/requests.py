"""Service request history for `load_demo` (see `servicedesk.management.demo.history`).

Each request follows the catalogue's flow: registered, waiting for its approvers (the clock
paused, as the "Standard requests" policy says), then fulfilled by the item's tasks in order,
closed when the last task is done, and rated now and then. A few are rejected or cancelled;
the most recent are still waiting for approval or in fulfilment.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from accounts.models import User
from catalogue.models import (
    FulfilmentMode,
    FulfilmentTask,
    RequestItem,
    RequestStatus,
    ServiceRequest,
    TaskStatus,
)
from catalogue.services import approvers_for
from servicedesk.approvals.rules import quorum_for
from servicedesk.management.demo import vocabulary as words
from servicedesk.management.demo.clock import Clock, Policies, build_timer, save_timers
from servicedesk.management.demo.history import (
    Reference,
    Timeline,
    rate,
    share,
    stored_as_given,
    to_datetime,
)
from servicedesk.models import (
    GROUP_RULES,
    Approval,
    ApprovalSet,
    AuditKind,
    Decision,
    SatisfactionRating,
)
from servicedesk.numbering import reserve_record_numbers

ITEM_WEIGHTS = {
    "VPN account": 30,
    "Technician visit": 25,
    "Laptop": 15,
    "More mailbox storage": 15,
    "ERP access": 15,
}
RESPONSE_SHARE = (0.35, 0.9)  # business time to the first task taken, share of the target
RESOLUTION_SHARE = (0.45, 0.7)
REJECTED_SHARE = 0.08
CANCELLED_SHARE = 0.03
ANSWERS: dict[str, dict[str, tuple[str, str, list[str] | None]]] = {
    "VPN account": {"reason": ("What do you need it for", "text", ["On-call duty from home",
                    "Working from the client's site", "Travelling next month"])},
    "Technician visit": {"day": ("Preferred day", "date", None)},
    "Laptop": {"model": ("Model", "choice", ["14-inch standard", "16-inch performance"]),
               "needed_by": ("Needed by", "date", None),
               "reason": ("Why do you need it", "text", ["My laptop is five years old.",
                          "New starter in my team.", "The screen is broken."])},
    "More mailbox storage": {"blocks": ("How many blocks of 200 MB", "number", ["1", "2", "4"])},
    "ERP access": {"role": ("Role", "choice", ["Accounts payable", "Purchasing", "Stock"])},
}  # fmt: skip


def _answers(rng: random.Random, item_name: str, created) -> dict:
    answers = {}
    for order, (key, (label, kind, values)) in enumerate(ANSWERS.get(item_name, {}).items()):
        value = (
            (created + timedelta(days=rng.randint(2, 20))).date().isoformat()
            if values is None
            else rng.choice(values)
        )
        answers[key] = {"label": label, "type": kind, "value": value, "text": value,
                        "order": order}  # fmt: skip
    return answers


def load(ref: Reference, rng: random.Random, *, days: int, count: int) -> dict:
    now = ref.now
    items = {
        i.name: i
        for i in RequestItem.objects.filter(name__in=ITEM_WEIGHTS, is_active=True)
        .select_related("service", "offering__sla_policy", "approval_group")
        .prefetch_related("task_templates__support_group", "service__audience_organisations")
    }
    if not items or count <= 0:
        return {"requests": 0}
    names = list(items)
    weights = [ITEM_WEIGHTS[name] for name in names]
    people = {u.pk: u for u in User.objects.filter(pk__in=[pk for pk, _o in ref.customers])
              .select_related("manager", "department__manager")}  # fmt: skip
    policies = Policies("request")
    stamps = words.creation_times(count, now.timestamp(), rng, days=days)
    plans = []
    for ts in stamps:
        created = to_datetime(ts)
        requester = people[rng.choices(ref.customers, cum_weights=ref.zipf)[0][0]]
        item = items[rng.choices(names, weights)[0]]
        audience = {o.pk for o in item.service.audience_organisations.all()}
        try:
            if audience and requester.organisation_id not in audience:
                raise ValidationError("not offered to this organisation")
            approvers = approvers_for(item, requester)
        except ValidationError:  # not theirs to order, or nobody to approve: a VPN account
            item, approvers = items.get("VPN account", item), []
        plans.append(_plan(ref, rng, policies, created, requester, item, approvers))
    numbers = reserve_record_numbers(ServiceRequest.NUMBER_PREFIX, len(plans))
    ct = ContentType.objects.get_for_model(ServiceRequest).pk
    with stored_as_given(ServiceRequest, FulfilmentTask, SatisfactionRating):
        records = ServiceRequest.objects.bulk_create(
            [_record(plan, number) for plan, number in zip(plans, numbers, strict=True)],
            batch_size=500,
        )
        timeline = Timeline(ct, ref.names)
        approval_sets: list[tuple[ApprovalSet, list[Approval]]] = []
        tasks, built = [], []
        ratings: list[SatisfactionRating] = []
        for record, plan in zip(records, plans, strict=True):
            if plan["approvers"]:
                approval_sets.append(_approvals(ct, record, plan))
            tasks += [
                FulfilmentTask(request=record, parent_type_id=ct, parent_id=record.pk,
                               parent_number=record.number, **fields)
                for fields in plan["tasks"]
            ]  # fmt: skip
            _timeline(timeline, record, plan)
            policy = plan["policy"]
            for target in policies.targets(policy):
                if target.metric not in ("first_response", "resolution"):
                    continue
                stop = plan["responded"] if target.metric == "first_response" else None
                clock = Clock(
                    started=plan["created"],
                    pauses=[list(plan["pause"])] if plan["pause"] else [],
                    stopped=stop or plan["closed"],
                    cancelled=plan["rejected"] or plan["cancelled"],
                )
                built.append(
                    build_timer(
                        content_type_id=ct,
                        object_id=record.pk,
                        policy=policy,
                        target=target,
                        clock=clock,
                        now=now,
                        rules=policies.rules_for_metric(target.metric, policy),
                    )  # fmt: skip
                )
            if plan["status"] == RequestStatus.CLOSED:
                rate(rng, ratings, ct=ct, pk=record.pk, requester=plan["requester"].pk,
                     resolved=plan["closed"], now=now)  # fmt: skip
        _save_approvals(approval_sets)
        task_numbers = reserve_record_numbers(FulfilmentTask.NUMBER_PREFIX, len(tasks))
        for task, number in zip(tasks, task_numbers, strict=True):
            task.number = number
        FulfilmentTask.objects.bulk_create(tasks, batch_size=1000)
        timers = save_timers(built)
        n_comments, n_events = timeline.save()
        SatisfactionRating.objects.bulk_create(ratings, batch_size=1000)
    return {
        "requests": len(records),
        "request_tasks": len(tasks),
        "request_timers": timers,
        "request_events": n_events,
        "request_comments": n_comments,
        "request_ratings": len(ratings),
    }


SET_STATUS = {Decision.PENDING: "pending", Decision.APPROVED: "approved",
              Decision.REJECTED: "rejected"}  # fmt: skip


def _approvals(ct: int, record: ServiceRequest, plan: dict) -> tuple[ApprovalSet, list[Approval]]:
    """The request's approval set and its approvals, unsaved, as its plan decided them."""
    item = plan["item"]
    rule = item.approval_rule
    decided = plan["approved"] or plan["rejected"]
    approval_set = ApprovalSet(
        content_type_id=ct, object_id=record.pk, rule=rule,
        group_id=item.approval_group_id if rule in GROUP_RULES else None,
        quorum=quorum_for(rule=rule, approvers=plan["approvers"], quorum=item.approval_quorum),
        status=SET_STATUS[plan["decision"]], created_at=plan["created"], decided_at=decided,
    )  # fmt: skip
    rows = [
        Approval(
            content_type_id=ct,
            object_id=record.pk,
            approver_id=pk,
            decision=plan["decision"],
            decided_at=decided,
            created_at=plan["created"],
        )  # fmt: skip
        for pk in plan["approvers"]
    ]
    return approval_set, rows


def _save_approvals(approval_sets: list[tuple[ApprovalSet, list[Approval]]]) -> None:
    saved = ApprovalSet.objects.bulk_create([s for s, _rows in approval_sets], batch_size=1000)
    rows = []
    for approval_set, (_unsaved, approvals) in zip(saved, approval_sets, strict=True):
        for approval in approvals:
            approval.approval_set_id = approval_set.pk
            rows.append(approval)
    Approval.objects.bulk_create(rows, batch_size=1000)


def _plan(ref: Reference, rng, policies: Policies, created, requester, item, approvers) -> dict:
    """Everything that happens to one request until now."""
    now = ref.now
    policy = item.offering.sla_policy if item.offering_id else None
    calendar = policies.calendar(policy, "resolution") or policies.calendar(
        policies.policy(priority=4, service_id=None, organisation_id=None), "resolution"
    )
    target = policies.target_seconds(policy, "resolution") or 27 * 3600
    response_target = policies.target_seconds(policy, "first_response") or 4 * 3600
    plan = {
        "created": created, "requester": requester, "item": item, "policy": policy,
        "approvers": [a.pk for a in approvers], "decision": Decision.NOT_NEEDED,
        "approved": None, "rejected": None, "cancelled": None, "pause": None,
        "responded": None, "closed": None, "tasks": [], "answers": _answers(rng, item.name, created),
        "group": item.support_group_id or item.service.support_group_id,
    }  # fmt: skip
    start = created
    if approvers:
        decided = created + timedelta(hours=min(rng.expovariate(1 / 10), 96))
        if decided > now:
            plan.update(status=RequestStatus.AWAITING_APPROVAL, decision=Decision.PENDING,
                        pause=(created, None))  # fmt: skip
            return plan
        if rng.random() < REJECTED_SHARE:
            plan.update(status=RequestStatus.REJECTED, decision=Decision.REJECTED,
                        rejected=decided, closed=decided, pause=(created, decided))  # fmt: skip
            return plan
        plan.update(decision=Decision.APPROVED, approved=decided, pause=(created, decided))
        start = decided
    if rng.random() < CANCELLED_SHARE:
        cancelled = start + timedelta(hours=rng.uniform(1, 24))
        if cancelled <= now:
            plan.update(status=RequestStatus.CANCELLED, cancelled=cancelled, closed=cancelled)
            return plan
    respond = calendar.add(start, timedelta(seconds=response_target * share(rng, *RESPONSE_SHARE)))
    finish = calendar.add(start, timedelta(seconds=target * share(rng, *RESOLUTION_SHARE)))
    finish = max(finish, respond + timedelta(minutes=30))
    templates = sorted(item.task_templates.all(), key=lambda t: (t.order, t.pk))
    sequential = item.fulfilment_mode == FulfilmentMode.SEQUENTIAL
    plan["responded"] = respond if respond <= now else None
    steps = max(len(templates), 1)
    for index, template in enumerate(templates):
        opened = start if not sequential or index == 0 else start + (finish - start) * index / steps
        taken = respond if index == 0 else opened + (finish - opened) * 0.2
        done = finish if not sequential else start + (finish - start) * (index + 1) / steps
        members: list[int | None] = [*ref.members.get(template.support_group_id, [])] or [None]
        status = (TaskStatus.DONE if done <= now else TaskStatus.IN_PROGRESS if taken <= now
                  else TaskStatus.OPEN if opened <= now else TaskStatus.WAITING)  # fmt: skip
        plan["tasks"].append({
            "title": template.title, "description": template.description,
            "requester_id": requester.pk, "organisation_id": requester.organisation_id,
            "support_group_id": template.support_group_id, "order": template.order,
            "assignee_id": rng.choice(members) if status != TaskStatus.OPEN else None,
            "status": status, "created_at": opened,
            "updated_at": min(max(t for t in (opened, taken, done) if t <= now or t == opened), now),
            "completed_at": done if status == TaskStatus.DONE else None,
            "version": 1 + (status in (TaskStatus.IN_PROGRESS, TaskStatus.DONE))
            + (status == TaskStatus.DONE),
        })  # fmt: skip
    if finish <= now:
        plan.update(status=RequestStatus.CLOSED, closed=finish)
    else:
        plan["status"] = RequestStatus.IN_FULFILMENT
    return plan


def _record(plan: dict, number: str) -> ServiceRequest:
    item = plan["item"]
    moments = [plan["created"], plan["approved"], plan["responded"], plan["closed"]]
    return ServiceRequest(
        number=number,
        title=item.name,
        requester=plan["requester"],
        organisation_id=plan["requester"].organisation_id,
        support_group_id=plan["group"],
        status=plan["status"],
        created_at=plan["created"],
        updated_at=max(m for m in moments if m),
        version=1 + sum(1 for m in moments[1:] if m) + bool(plan["approvers"]),
        item=item,
        service=item.service,
        offering=item.offering,
        answers=plan["answers"],
        approval_rule=item.approval_rule,
        approved_at=plan["approved"],
        closed_at=plan["closed"],
        close_reason=(
            "Not approved: please use the standard model."
            if plan["rejected"]
            else "No longer needed."
            if plan["cancelled"]
            else ""
        ),  # fmt: skip
        first_responded_at=plan["responded"],
    )


def _timeline(timeline: Timeline, record: ServiceRequest, plan: dict) -> None:
    labels = dict(RequestStatus.choices)
    pk, requester = record.pk, plan["requester"].pk
    timeline.event(pk, plan["created"], requester, AuditKind.CREATED, new_text=record.number)
    state = "new"
    if plan["approvers"]:
        timeline.status(pk, plan["created"], timeline.system, state, "awaiting_approval", labels)
        state = "awaiting_approval"
    if plan["rejected"]:
        timeline.status(pk, plan["rejected"], plan["approvers"][0], state, "rejected", labels,
                        note=record.close_reason)  # fmt: skip
        return
    if plan["status"] == RequestStatus.AWAITING_APPROVAL:
        return
    start = plan["approved"] or plan["created"]
    timeline.status(pk, start, plan["approvers"][0] if plan["approved"] else timeline.system, state,
                    "in_fulfilment", labels)  # fmt: skip
    if plan["cancelled"]:
        timeline.status(pk, plan["cancelled"], requester, "in_fulfilment", "cancelled", labels,
                        note=record.close_reason)  # fmt: skip
        return
    if plan["closed"]:
        timeline.status(pk, plan["closed"], timeline.system, "in_fulfilment", "closed", labels,
                        note="Every fulfilment task is done.")  # fmt: skip
