"""Every write on changes: raise (by hand or from a standard template), edit, assess the risk,
move through the workflow, ask and receive the authorisation, review, and work it (assign,
take, comment, attach) on the kernel.

Each public function runs in one transaction, the change locked (`kernel.record_lock`) and
checked against the caller's `version` (StaleVersion, 409). Errors: ValidationError with field
errors (nothing saved), TransitionNotAllowed (409), PermissionDenied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from changes import scheduling, selectors
from changes.choices import ChangeStatus as S
from changes.choices import ChangeType, Outcome
from changes.models import (
    Change,
    ChangeRiskAnswer,
    RiskAnswer,
    StandardChangeTemplate,
)
from changes.workflow import CHANGE_WORKFLOW
from servicedesk import events
from servicedesk import services as kernel
from servicedesk.approvals import services as approvals
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import ApprovalRule, ApprovalSet, Attachment, Comment

MANAGE_PERMISSION = "changes.manage_change"

# What an edit may change, and what is fixed once the change is assessed (the approval was
# asked for what it said then).
EDITABLE = (
    "title", "description", "change_type", "category", "reason", "expected_benefit", "risks",
    "resources", "builder", "tester", "implementer", "relationship", "implementation_plan",
    "backout_plan", "test_plan", "planned_start", "planned_end",
)  # fmt: skip
WINDOW = ("planned_start", "planned_end")
ASSESSED_FIXED = tuple(name for name in EDITABLE if name not in WINDOW)
RELATIONS = ("configuration_items", "services", "related_changes")
OPEN_FOR_EDIT = (S.REQUESTED, S.ASSESSED, S.AUTHORISED, S.SCHEDULED)


def ensure_can_work(actor: Any) -> None:
    """Staff who work changes, and the system actor; PermissionDenied otherwise."""
    kernel.ensure_can_work(actor, model=Change)


def is_change_manager(actor: Any) -> bool:
    return bool(actor.has_perm(MANAGE_PERMISSION))


def _lock(change_id: int, version: int | None = None) -> Change:
    return kernel.record_lock(model=Change, pk=change_id, expected_version=version)


def _check_window(fields: Mapping[str, Any]) -> None:
    start, end = fields.get("planned_start"), fields.get("planned_end")
    if start and end and end <= start:
        raise ValidationError({"planned_end": [_("The planned end must come after the start.")]})


def _set_relations(
    change: Change, *, actor: Any, relations: Mapping[str, Iterable[Any]]
) -> list[str]:
    """Replace the change's affected CIs, services or related changes, with one audit event per
    relation whose members changed (old and new as lists of ids and names)."""
    changed = []
    for name, objects in relations.items():
        manager = getattr(change, name)
        new = sorted({obj.pk: obj for obj in objects}.values(), key=lambda obj: obj.pk)
        old = sorted(manager.all(), key=lambda obj: obj.pk)
        if [o.pk for o in old] == [n.pk for n in new]:
            continue
        if name == "related_changes" and any(obj.pk == change.pk for obj in new):
            raise ValidationError({name: [_("A change cannot be related to itself.")]})
        manager.set(new)
        events.record_event(
            record=change, actor=actor, kind="field_changed", field=name,
            old_value=[o.pk for o in old], new_value=[n.pk for n in new],
            old_text=", ".join(str(o) for o in old)[:255],
            new_text=", ".join(str(n) for n in new)[:255],
        )  # fmt: skip
        changed.append(name)
    return changed


@transaction.atomic
def change_create(
    *,
    actor: Any,
    fields: Mapping[str, Any],
    configuration_items: Iterable[Any] = (),
    services: Iterable[Any] = (),
    related_changes: Iterable[Any] = (),
) -> Change:
    """Raise a change (requested). `fields` are the Change's own (title, change_type, plans,
    window, ...); the requester is who raised it (the actor unless given).

    A standard change comes from its template only (`change_from_template`): a ValidationError
    on `change_type` otherwise. Raises PermissionDenied for anyone but staff.
    """
    ensure_can_work(actor)
    data = dict(fields)
    data.setdefault("requester", actor)
    if data.get("change_type") == ChangeType.STANDARD and not data.get("template"):
        raise ValidationError(
            {"change_type": [_("A standard change is raised from its standard-change template.")]}
        )
    _check_window(data)
    change = kernel.record_create(model=Change, actor=actor, fields=data)
    _set_initial_relations(change, configuration_items, services, related_changes)
    return change


def _set_initial_relations(change, configuration_items, services, related_changes) -> None:
    change.configuration_items.set(list(configuration_items))
    change.services.set(list(services))
    change.related_changes.set([c for c in related_changes if c.pk != change.pk])


@transaction.atomic
def change_from_template(
    *,
    actor: Any,
    template: StandardChangeTemplate,
    fields: Mapping[str, Any] | None = None,
    configuration_items: Iterable[Any] | None = None,
    services: Iterable[Any] | None = None,
) -> Change:
    """Raise a standard change from a pre-approved template: its category, plans, CIs and
    services are the template's (CIs and services may be given instead), its window the
    template's default duration from `planned_start` when only the start is given."""
    ensure_can_work(actor)
    if not template.is_active:
        raise ValidationError({"template": [_("This standard change is no longer offered.")]})
    data: dict[str, Any] = {
        "title": template.name,
        "description": template.description,
        "category": template.category,
        "implementation_plan": template.implementation_plan,
        "backout_plan": template.backout_plan,
        "test_plan": template.test_plan,
        **(fields or {}),
        "change_type": ChangeType.STANDARD,
        "template": template,
    }
    start = data.get("planned_start")
    if start and not data.get("planned_end") and template.default_duration:
        data["planned_end"] = start + template.default_duration
    cis = template.configuration_items.all() if configuration_items is None else configuration_items
    chosen = template.services.all() if services is None else services
    return change_create(actor=actor, fields=data, configuration_items=cis, services=chosen)


@transaction.atomic
def change_update(
    *,
    change_id: int,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None = None,
    relations: Mapping[str, Iterable[Any]] | None = None,
) -> Change:
    """Edit a change's fields (`EDITABLE`) and relations (`RELATIONS`: affected CIs,
    services, related changes), one audit event per field changed.

    Until the change is assessed everything may change; after it only the planned window,
    until implementation starts (what was approved stays as it was approved). A scheduled
    change's new window is checked again (`changes.scheduling`). Raises TransitionNotAllowed
    (409) for what may no longer change, ValidationError on bad values.
    """
    ensure_can_work(actor)
    change = _lock(change_id, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This cannot be edited.")] for name in sorted(unknown)})
    relations = dict(relations or {})
    if set(relations) - set(RELATIONS):
        raise ValidationError({"__all__": [_("Unknown relation.")]})
    if change.status not in OPEN_FOR_EDIT:
        raise TransitionNotAllowed(
            _("%(number)s is %(status)s: it can no longer be edited.")
            % {"number": change.number, "status": change.get_status_display().lower()}
        )
    if change.status != S.REQUESTED:
        fixed = [n for n in changes if n in ASSESSED_FIXED and getattr(change, n) != changes[n]]
        fixed += [n for n in relations if n != "related_changes"]
        if fixed:
            raise TransitionNotAllowed(
                _("Only the planned window of an assessed change can change: cancel it and "
                  "raise a new one to change what was assessed.")
            )  # fmt: skip
    if changes.get("change_type") == ChangeType.STANDARD and change.template_id is None:
        raise ValidationError(
            {"change_type": [_("A standard change is raised from its standard-change template.")]}
        )
    window = {name: changes.get(name, getattr(change, name)) for name in WINDOW}
    _check_window(window)
    changed = kernel.record_update(record=change, actor=actor, changes=changes)
    changed += _set_relations(change, actor=actor, relations=relations)
    if change.status == S.SCHEDULED and set(changed) & set(WINDOW):
        CHANGE_WORKFLOW.check(record=change, source=S.AUTHORISED, target=S.SCHEDULED)
    if changed and not set(changed) & set(EDITABLE):
        _bump(change)
    return change


def _bump(change: Change) -> None:
    change.version += 1
    change.save(update_fields=["version", "updated_at"])


@transaction.atomic
def change_risk_assess(
    *, change_id: int, actor: Any, answers: Mapping[int, int], version: int | None = None
) -> Change:
    """Answer the risk questionnaire: every active question once, with one of its answers.
    The score is the sum of the answers' weights; the level is the threshold it reaches
    (`selectors.risk_level_for`). Until the change is assessed; answering again replaces the
    answers. Raises ValidationError keyed `q<question id>` for a missing or foreign answer.
    """
    ensure_can_work(actor)
    change = _lock(change_id, version)
    if change.status != S.REQUESTED:
        raise TransitionNotAllowed(_("The risk is assessed before the change is."))
    questions = selectors.risk_questions()
    chosen: dict[int, RiskAnswer] = {}
    errors: dict[str, list[str]] = {}
    for question in questions:
        answer_id = answers.get(question.pk)
        answer = next((a for a in question.answers.all() if a.pk == answer_id), None)
        if answer is None:
            errors[f"q{question.pk}"] = [_("Choose an answer.")]
        else:
            chosen[question.pk] = answer
    if errors:
        raise ValidationError(errors)
    score = sum(answer.weight for answer in chosen.values())
    threshold = selectors.risk_level_for(score)
    ChangeRiskAnswer.objects.filter(change=change).delete()
    ChangeRiskAnswer.objects.bulk_create(
        ChangeRiskAnswer(change=change, question_id=qid, answer=answer)
        for qid, answer in chosen.items()
    )
    level = threshold.level if threshold is not None else "low"
    changed = kernel.record_update(
        record=change, actor=actor, changes={"risk_score": score, "risk_level": level}
    )
    if not changed:
        _bump(change)
    return change


def _request_authorisation(change: Change, *, actor: Any) -> ApprovalSet | None:
    """Ask for the approval its route names (selectors.approval_route): every change manager
    (any one decides), the CAB's members (the board's quorum, or all), or the emergency CAB's
    members on call. ValidationError when nobody can approve."""
    from django.contrib.auth.models import Group

    from accounts.roles import Role

    route = selectors.approval_route(change)
    approvers = [p for p in route.approvers if p.pk != change.requester_id] or route.approvers
    if route.kind == "none":
        return None
    if not approvers:
        raise ValidationError({"__all__": [_no_approver_message(route.kind)]})
    if route.kind == "change_manager":
        group = Group.objects.get(name=Role.CHANGE_MANAGER)
        rule, quorum = ApprovalRule.GROUP_ANY, 1
    elif route.board is not None:
        group = Group.objects.get(name=Role.CAB_MEMBER)
        if route.board.rule == "all":
            rule, quorum = ApprovalRule.GROUP_ALL, len(approvers)
        else:
            rule, quorum = ApprovalRule.GROUP_QUORUM, route.board.quorum
            if quorum > len(approvers):
                raise ValidationError({"__all__": [
                    _("%(board)s needs %(needed)s approvals but only %(count)s members can give "
                      "one.") % {"board": route.board, "needed": quorum, "count": len(approvers)}
                ]})  # fmt: skip
    else:
        raise ValidationError({"__all__": [_no_approver_message(route.kind)]})
    return approvals.approvals_request(
        record=change, actor=actor, rule=rule, group=group, quorum=quorum, approvers=approvers
    )


def _no_approver_message(kind: str) -> str:
    if kind == "emergency":
        return _("No member of the emergency CAB is on call to authorise it.")
    if kind == "cab":
        return _("The CAB has no members to authorise it.")
    return _("There is no change manager to authorise it.")


@transaction.atomic
def change_transition(
    *,
    change_id: int,
    actor: Any,
    target: str,
    note: str = "",
    version: int | None = None,
    outcome: str = "",
) -> Change:
    """Move a change on (the workflow's guards decide, `changes.workflow`), with what each state
    brings: assessed asks for its authorisation; implementing and review stamp the actual start
    and end; closed takes its closure code (`outcome`) and, for a standard change, a change
    manager; cancelled withdraws a waiting approval.

    Raises TransitionNotAllowed (409) with the guard's reason, ValidationError when nobody can
    authorise it (nothing written).
    """
    ensure_can_work(actor)
    change = _lock(change_id, version)
    context = {"note": note, "outcome": outcome, "change_manager": is_change_manager(actor)}
    if target == S.ASSESSED and change.change_type == ChangeType.STANDARD:
        raise TransitionNotAllowed(_("A standard change is pre-approved: schedule it."))
    now = timezone.now()
    kernel.record_transition(
        record=change, workflow=CHANGE_WORKFLOW, target=target, actor=actor, note=note,
        context=context,
    )  # fmt: skip
    stamps: dict[str, Any] = {}
    if target == S.ASSESSED:
        _request_authorisation(change, actor=actor)
        scheduling.collisions_noted(change, stage="assessed")
    elif target == S.SCHEDULED:
        scheduling.collisions_noted(change, stage="scheduled")
    elif target == S.IMPLEMENTING:
        stamps["actual_start"] = now
    elif target == S.REVIEW:
        stamps["actual_end"] = now
    elif target == S.CLOSED:
        stamps["closed_at"] = now
        if outcome:
            stamps["outcome"] = outcome
        if change.change_type == ChangeType.STANDARD:
            stamps |= {"reviewed_at": now, "reviewed_by": actor}
    elif target == S.CANCELLED:
        approvals.approvals_withdraw(record=change, actor=actor)
    if stamps:
        kernel.record_update(record=change, actor=actor, changes=stamps)
    return change


def change_approval_decided(
    *, record: Change, approval_set: ApprovalSet, actor: Any, approved: bool, comment: str
) -> None:
    """The change's approval set is decided (the registry's `ApprovalHooks.decided`).

    Preconditions: called by the kernel's `approval_decide` with the change, the set and its
    approvals locked. Approved: the change is authorised (and may be scheduled). Rejected: it
    is rejected with the reason.
    """
    if approved:
        kernel.record_update(record=record, actor=actor, changes={"authorised_at": timezone.now()})
        kernel.record_transition(
            record=record, workflow=CHANGE_WORKFLOW, target=S.AUTHORISED, actor=actor,
            automatic=True,
        )  # fmt: skip
        return
    kernel.record_transition(
        record=record, workflow=CHANGE_WORKFLOW, target=S.REJECTED, actor=actor,
        note=_("Rejected by %(person)s: %(reason)s") % {"person": actor, "reason": comment},
        automatic=True,
    )  # fmt: skip


@transaction.atomic
def change_review(
    *,
    change_id: int,
    actor: Any,
    outcome: str,
    objectives_met: bool,
    lessons: str,
    incidents_caused: str = "",
    version: int | None = None,
) -> Change:
    """The post-implementation review of a change in review: its outcome (the closure code),
    whether its objectives were met, the incidents it caused and the lessons. A change manager's
    or the change owner's. Raises ValidationError on a missing outcome or lessons,
    TransitionNotAllowed outside review, PermissionDenied for anyone else.
    """
    ensure_can_work(actor)
    change = _lock(change_id, version)
    if change.status != S.REVIEW:
        raise TransitionNotAllowed(_("A change is reviewed once it has been implemented."))
    if not (is_change_manager(actor) or change.assignee_id == actor.pk):
        raise PermissionDenied(_("The change owner or a change manager reviews a change."))
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose how the change went.")]
    if not (lessons or "").strip():
        errors["lessons"] = [_("Write what was learnt, even if it is “nothing new”.")]
    if errors:
        raise ValidationError(errors)
    kernel.record_update(
        record=change,
        actor=actor,
        changes={
            "outcome": outcome,
            "objectives_met": bool(objectives_met),
            "lessons": lessons.strip(),
            "review_incidents": (incidents_caused or "").strip(),
            "reviewed_at": timezone.now(),
            "reviewed_by": actor,
        },
    )
    return change


# --- Working a change on the kernel -------------------------------------------------------------


def change_assign(
    *, change_id: int, actor: Any, support_group: Any, assignee: Any = None,
    version: int | None = None,
) -> Change:  # fmt: skip
    """Give the change to a group and optionally its owner in it (`kernel.record_assign`)."""
    return kernel.record_assign(
        model=Change, record_id=change_id, actor=actor, support_group=support_group,
        assignee=assignee, version=version,
    )  # fmt: skip


def change_take(*, change_id: int, actor: Any, version: int | None = None) -> Change:
    """The actor becomes the change owner (`kernel.record_take`)."""
    return kernel.record_take(model=Change, record_id=change_id, actor=actor, version=version)


def change_comment(
    *, change_id: int, actor: Any, body: str, visibility: str = "internal", files=()
) -> Comment:
    """A note on the change (`kernel.record_comment`): staff only."""
    ensure_can_work(actor)
    return kernel.record_comment(
        model=Change, record_id=change_id, actor=actor, body=body, visibility=visibility,
        files=files,
    )  # fmt: skip


def change_attach(
    *, change_id: int, actor: Any, file: Any, visibility: str = "internal"
) -> Attachment:
    """A file on the change (`kernel.record_attach`): staff only."""
    ensure_can_work(actor)
    return kernel.record_attach(
        model=Change, record_id=change_id, actor=actor, file=file, visibility=visibility
    )
