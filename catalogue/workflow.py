"""The service request and fulfilment task life cycles as data."""

from django.utils.translation import gettext as _

from catalogue.choices import RequestStatus as S
from catalogue.choices import TaskStatus as T
from servicedesk.workflow import Workflow


def needs_reason(record, context):
    if not (context.get("reason") or "").strip():
        return _("Say why.")
    return None


REQUEST_WORKFLOW = Workflow(
    initial=S.NEW,
    transitions={
        S.NEW: [S.AWAITING_APPROVAL, S.IN_FULFILMENT, S.CLOSED, S.CANCELLED],
        S.AWAITING_APPROVAL: [S.IN_FULFILMENT, S.CLOSED, S.REJECTED, S.CANCELLED],
        S.IN_FULFILMENT: [S.CLOSED, S.CANCELLED],
        S.CLOSED: [],
        S.REJECTED: [],
        S.CANCELLED: [],
    },
    guards={S.REJECTED: [needs_reason], S.CANCELLED: [needs_reason]},
    labels=dict(S.choices),
    # Awaiting approval pauses the clocks of a policy listing "approval" in its pause_on.
    paused=[S.AWAITING_APPROVAL],
    resolved=[S.CLOSED],
    cancelled=[S.REJECTED, S.CANCELLED],
)

TASK_WORKFLOW = Workflow(
    initial=T.OPEN,
    transitions={
        T.WAITING: [T.OPEN, T.CANCELLED],
        T.OPEN: [T.IN_PROGRESS, T.DONE, T.CANCELLED],
        T.IN_PROGRESS: [T.OPEN, T.DONE, T.CANCELLED],
        T.DONE: [],
        T.CANCELLED: [],
    },
    labels=dict(T.choices),
    resolved=[T.DONE],
    cancelled=[T.CANCELLED],
)
