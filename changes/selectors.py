"""Reads on changes: who may see which, the queues, the page, the risk questionnaire, the route
a change's approval takes and what its CIs reach in the CMDB."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.roles import can_see_internal
from changes.choices import ApprovalRoute, BoardKind, ChangeStatus, ChangeType, RiskLevel
from changes.models import (
    BoardMembership,
    Change,
    ChangeBoard,
    RiskAnswer,
    RiskQuestion,
    RiskThreshold,
)
from changes.workflow import CHANGE_WORKFLOW
from servicedesk.scoping import staff_scope

LIST_RELATED = ("requester", "assignee", "support_group", "category")


def changes_visible_to(user: Any) -> QuerySet[Change]:
    """Service desk staff see every change (within the organisations they serve, with scoped
    visibility on); nobody else sees any (a 404)."""
    if not user.is_authenticated or not can_see_internal(user):
        return Change.objects.none()
    return Change.objects.filter(staff_scope(user))


QUEUES = {
    "open": lambda user: {"status__in": CHANGE_WORKFLOW.open_states},
    "mine": lambda user: {"assignee": user, "status__in": CHANGE_WORKFLOW.open_states},
    "awaiting": lambda user: {"status": ChangeStatus.ASSESSED},
    "scheduled": lambda user: {"status": ChangeStatus.SCHEDULED},
    "review": lambda user: {"status": ChangeStatus.REVIEW},
    "all": lambda user: {},
}


def change_queue(*, user: Any, queue: str) -> QuerySet[Change]:
    """One of the change queues (open by default), with what a list row shows."""
    criteria = QUEUES.get(queue, QUEUES["open"])(user)
    return changes_visible_to(user).filter(**criteria).select_related(*LIST_RELATED)


def change_for_page(*, user: Any, number: str) -> Change:
    """The change with what its page shows (DoesNotExist for a change the user may not see)."""
    return (
        changes_visible_to(user)
        .select_related(
            *LIST_RELATED, "template", "builder", "tester", "implementer", "reviewed_by"
        )
        .prefetch_related("configuration_items__ci_class", "services", "related_changes")
        .get(number=number)
    )


def risk_questions() -> list[RiskQuestion]:
    """The active questions of the risk questionnaire with their answers, in order."""
    return list(
        RiskQuestion.objects.filter(is_active=True).prefetch_related(
            Prefetch("answers", queryset=RiskAnswer.objects.order_by("order", "id"))
        )
    )


def risk_answers_of(change: Change) -> dict[int, int]:
    """{question id: answer id} the change gave."""
    return dict(change.risk_answers.values_list("question_id", "answer_id"))


def risk_level_for(
    score: int, thresholds: list[RiskThreshold] | None = None
) -> RiskThreshold | None:
    """The threshold a score falls in: the highest `min_score` at or under it (None: no
    thresholds defined)."""
    rows = thresholds if thresholds is not None else list(RiskThreshold.objects.all())
    chosen = None
    for row in sorted(rows, key=lambda row: row.min_score):
        if row.min_score <= score:
            chosen = row
    return chosen


@dataclass
class Route:
    """Who authorises a change: a change manager, or a board (its members, rule and quorum)."""

    kind: str  # "change_manager", "cab", "emergency" or "none" (standard changes)
    board: ChangeBoard | None = None
    approvers: list[Any] = field(default_factory=list)


def approval_route(change: Change) -> Route:
    """The route a change's approval takes: standard changes need none (pre-approved);
    emergency changes go to the emergency CAB's members on call; a normal change follows its
    risk level's threshold (low: a change manager; high: the CAB). A level without a
    threshold row: high goes to the CAB, the others to a change manager."""
    if change.change_type == ChangeType.STANDARD:
        return Route("none")
    if change.change_type == ChangeType.EMERGENCY:
        board = ChangeBoard.objects.filter(kind=BoardKind.EMERGENCY).first()
        return Route("emergency", board, board_members(board, on_call=True) if board else [])
    threshold = RiskThreshold.objects.filter(level=change.risk_level).first()
    if threshold is not None:
        route = threshold.route
    else:
        route = ApprovalRoute.CAB if change.risk_level == RiskLevel.HIGH else ""
    if route == ApprovalRoute.CAB:
        board = ChangeBoard.objects.filter(kind=BoardKind.CAB).first()
        return Route("cab", board, board_members(board) if board else [])
    return Route("change_manager", None, change_managers())


def board_members(board: ChangeBoard, *, on_call: bool = False) -> list[Any]:
    """A board's active members (only those on call, for the emergency CAB), by id."""
    rows = BoardMembership.objects.filter(board=board, user__is_active=True)
    if on_call:
        rows = rows.filter(on_call=True)
    return [row.user for row in rows.select_related("user").order_by("user_id")]


def change_managers() -> list[Any]:
    """The active people holding the change manager role, by id."""
    from accounts.models import User
    from accounts.roles import Role

    return list(
        User.objects.filter(groups__name=Role.CHANGE_MANAGER, is_active=True).order_by("pk")
    )


def cab_agenda(*, user: Any, days: int = 14) -> QuerySet[Change]:
    """The changes due for review at the CAB: those waiting for their approval, and those
    coming up for implementation within `days`, earliest window first."""
    from django.db.models import Q

    until = timezone.now() + timedelta(days=days)
    return (
        changes_visible_to(user)
        .filter(
            Q(status=ChangeStatus.ASSESSED)
            | Q(
                status__in=[ChangeStatus.AUTHORISED, ChangeStatus.SCHEDULED],
                planned_start__lte=until,
            )
        )
        .select_related(*LIST_RELATED)
        .prefetch_related("configuration_items", "services")
        .order_by("planned_start", "created_at", "id")
    )


@dataclass
class ChangeImpact:
    """What a change's CIs reach downstream in the CMDB: the business services (with their
    users) and how many CIs in all."""

    services: list[Any] = field(default_factory=list)
    reached: int = 0


def change_impact(change: Change) -> ChangeImpact:
    """The union of the impact walks of the change's CIs (cmdb.selectors.impact_of), each
    business service once at its nearest depth."""
    from cmdb.selectors import impact_of

    impact = ChangeImpact()
    seen: dict[int, Any] = {}
    for ci in change.configuration_items.all():
        walk = impact_of(ci=ci)
        impact.reached += walk.total
        for service in walk.services:
            known = seen.get(service.ci.pk)
            if known is None or service.depth < known.depth:
                seen[service.ci.pk] = service
    impact.services = list(seen.values())
    impact.services.sort(key=lambda s: (-s.ci.criticality, s.depth, s.ci.name))
    return impact


def changes_on_ci(*, ci_id: int, user: Any, since_days: int = 30) -> QuerySet[Change]:
    """The changes implemented on a CI lately (implementing, in review or closed, started in the
    last `since_days`), newest first, among those the person sees: what an incident on the CI
    may have been caused by (the registry's `cause_candidates`)."""
    since = timezone.now() - timedelta(days=since_days)
    return (
        changes_visible_to(user)
        .filter(
            configuration_items=ci_id,
            status__in=[ChangeStatus.IMPLEMENTING, ChangeStatus.REVIEW, ChangeStatus.CLOSED],
            actual_start__gte=since,
        )
        .order_by("-actual_start", "-id")
        .only("id", "number", "title", "status", "actual_start")[:10]
    )


def waiting_approvals(changes: list[Change]) -> dict[int, list[Any]]:
    """{change id: its approvals of the waiting round} for a list of changes, in one query."""
    from django.contrib.contenttypes.models import ContentType

    from servicedesk.models import Approval, ApprovalSetStatus

    rows: dict[int, list[Any]] = {}
    approvals = (
        Approval.objects.filter(
            content_type=ContentType.objects.get_for_model(Change),
            object_id__in=[change.pk for change in changes],
            approval_set__status=ApprovalSetStatus.PENDING,
        )
        .select_related("approver")
        .order_by("object_id", "pk")
    )
    for approval in approvals:
        rows.setdefault(approval.object_id, []).append(approval)
    return rows
