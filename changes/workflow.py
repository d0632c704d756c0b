"""The change life cycle as data: requested → assessed → authorised (or rejected) → scheduled →
implementing → review → closed, and cancelled; with the guard of each state.

Assessed changes wait for their approval set (servicedesk/approvals): its decision moves them
to authorised or rejected (`automatic` transitions, never a person's choice). Standard changes
are pre-approved: they go from requested straight to scheduled.
"""

from django.utils.translation import gettext as _

from changes.choices import ChangeStatus as S
from changes.choices import ChangeType, Outcome
from servicedesk.workflow import Workflow


def _blank(value) -> bool:
    return not (value or "").strip()


def needs_plans(change, context):
    if _blank(change.implementation_plan) or _blank(change.backout_plan):
        return _("Write the implementation plan and the back-out plan before the assessment.")
    return None


def needs_risk(change, context):
    if change.change_type == ChangeType.NORMAL and not change.risk_level:
        return _("Answer the risk questionnaire before the assessment.")
    return None


def needs_approval(change, context):
    if change.change_type != ChangeType.STANDARD and change.authorised_at is None:
        return _("A change is scheduled only once it is authorised.")
    return None


def needs_window(change, context):
    if change.planned_start is None or change.planned_end is None:
        return _("Set the planned start and end first.")
    if change.planned_end <= change.planned_start:
        return _("The planned end must come after the planned start.")
    return None


def schedule_allowed(change, context):
    """The scheduling checks of `changes.scheduling` (blackout windows and the like)."""
    from changes.scheduling import schedule_checks

    refusals = schedule_checks(change)
    return " ".join(str(refusal) for refusal in refusals) or None


def needs_outcome(change, context):
    if (context.get("outcome") or change.outcome) not in Outcome.values:
        return _("Choose the closure code: how did the change go?")
    return None


def needs_review(change, context):
    """Normal and emergency changes close after their post-implementation review; a standard
    change after its change manager's review (the person closing it)."""
    if change.change_type == ChangeType.STANDARD:
        if not context.get("change_manager"):
            return _("A standard change is closed by a change manager, who reviews it.")
        return None
    if change.reviewed_at is None:
        return _("Record the post-implementation review before closing.")
    return None


def needs_reason(change, context):
    if _blank(context.get("note")):
        return _("Say why.")
    return None


TRANSITIONS = {
    S.REQUESTED: [S.ASSESSED, S.SCHEDULED, S.CANCELLED],
    S.ASSESSED: [S.CANCELLED],
    S.AUTHORISED: [S.SCHEDULED, S.CANCELLED],
    S.REJECTED: [],
    S.SCHEDULED: [S.IMPLEMENTING, S.CANCELLED],
    S.IMPLEMENTING: [S.REVIEW],
    S.REVIEW: [S.CLOSED],
    S.CLOSED: [],
    S.CANCELLED: [],
}

CHANGE_WORKFLOW = Workflow(
    initial=S.REQUESTED,
    transitions=TRANSITIONS,
    automatic={S.ASSESSED: [S.AUTHORISED, S.REJECTED]},
    guards={
        S.ASSESSED: [needs_plans, needs_risk],
        S.SCHEDULED: [needs_approval, needs_window, schedule_allowed],
        S.IMPLEMENTING: [needs_window],
        S.CLOSED: [needs_outcome, needs_review],
        S.CANCELLED: [needs_reason],
    },
    labels=dict(S.choices),
    paused=[S.ASSESSED],
    resolved=[S.CLOSED],
    cancelled=[S.REJECTED, S.CANCELLED],
)
