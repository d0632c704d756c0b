"""The problem life cycle as data: new >> assessed >> root-cause analysis >> known error >>
resolved (the fix deployed) >> closed, or cancelled on the way."""

from django.utils.translation import gettext as _

from problems.choices import ProblemStatus as S
from servicedesk.text import plain_text
from servicedesk.workflow import Workflow


def needs_root_cause(problem, context):
    if not plain_text(problem.root_cause or ""):
        return _("Record the root cause before the problem becomes a known error.")
    return None


def needs_workaround(problem, context):
    if not plain_text(problem.workaround or ""):
        return _("Write the workaround agents apply until the fix is deployed.")
    return None


def needs_fix_or_reason(problem, context):
    """A change that fixes it (a `fixes` link from a change), or the reason it is resolved
    without one (`context["reason"]`, stored as the problem's resolution)."""
    if context.get("has_fix") or plain_text(context.get("reason") or ""):
        return None
    return _("Link the change that fixes the problem, or say why it is resolved without one.")


PROBLEM_WORKFLOW = Workflow(
    initial=S.NEW,
    transitions={
        S.NEW: [S.ASSESSED, S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR, S.CANCELLED],
        S.ASSESSED: [S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR, S.CANCELLED],
        S.ROOT_CAUSE_ANALYSIS: [S.KNOWN_ERROR, S.RESOLVED, S.CANCELLED],
        S.KNOWN_ERROR: [S.ROOT_CAUSE_ANALYSIS, S.RESOLVED, S.CANCELLED],
        # The fix did not hold: back to analysis.
        S.RESOLVED: [S.CLOSED, S.ROOT_CAUSE_ANALYSIS],
        S.CLOSED: [],
        S.CANCELLED: [],
    },
    guards={
        S.KNOWN_ERROR: [needs_root_cause, needs_workaround],
        S.RESOLVED: [needs_root_cause, needs_fix_or_reason],
    },
    labels=dict(S.choices),
    resolved=[S.RESOLVED, S.CLOSED],
    cancelled=[S.CANCELLED],
)
