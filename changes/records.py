"""Changes as a record type: the declaration the kernel's registry keeps (servicedesk/registry.py)."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from servicedesk.registry import ApprovalHooks, RecordType, register

REFERENCE_MODELS = (
    "changecategory",
    "standardchangetemplate",
    "riskquestion",
    "riskanswer",
    "riskthreshold",
    "changeboard",
    "boardmembership",
)

PERMISSIONS = {
    # Every agent may raise a change and work the ones given to them.
    Role.AGENT: ("changes.view_change", "changes.add_change", "changes.work_change"),
    # The change manager assesses, authorises low-risk changes, reviews and closes standard ones
    # and keeps the standard-change catalogue and the risk questionnaire.
    Role.CHANGE_MANAGER: (
        "changes.manage_change",
        *(
            f"changes.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in REFERENCE_MODELS
        ),
    ),
    Role.CAB_MEMBER: tuple(f"changes.view_{model}" for model in REFERENCE_MODELS),
    Role.ADMINISTRATOR: (
        "changes.manage_change",
        *(
            f"changes.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in REFERENCE_MODELS
        ),
    ),
}

CHANGE = RecordType(
    key="change",
    model="changes.Change",
    label=_("Changes"),
    name=_("Change"),
    visible_to="changes.selectors.changes_visible_to",
    transition="changes.records.transition",
    detail_url_name="changes:detail",
    view_permission="changes.view_change",
    work_permission="changes.work_change",
    permissions=PERMISSIONS,
    approvals=ApprovalHooks(
        decided="changes.services.change_approval_decided",
        summary_template="changes/_approval_summary.html",
        email_summary_template="changes/email/_approval_summary.txt",
    ),
    cause_candidates="changes.selectors.changes_on_ci",
    export_columns=(
        (_("Number"), "number"),
        (_("Title"), "title"),
        (_("Status"), "status"),
        (_("Type"), "change_type"),
        (_("Category"), "category__name"),
        (_("Risk"), "risk_level"),
        (_("Requester"), "requester__email"),
        (_("Support group"), "support_group__name"),
        (_("Owner"), "assignee__email"),
        (_("Planned start"), "planned_start"),
        (_("Planned end"), "planned_end"),
        (_("Actual start"), "actual_start"),
        (_("Actual end"), "actual_end"),
        (_("Authorised"), "authorised_at"),
        (_("Closure code"), "outcome"),
        (_("Created"), "created_at"),
        (_("Closed"), "closed_at"),
    ),  # fmt: skip
    export_filter="changes.filters.ChangeFilter",
    export_queue="changes.selectors.change_queue",
)


def transition(*, record_id: int, actor, target: str, version=None, pending_reason: str = ""):
    """A status set by a macro (a change has no pending reason: it is ignored)."""
    from changes.services import change_transition

    return change_transition(change_id=record_id, actor=actor, target=target, version=version)


def register_changes() -> None:
    register(CHANGE)
