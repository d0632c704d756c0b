"""Problems as a record type: the declaration the kernel's registry keeps (see
servicedesk/registry.py and docs/architecture.md, "Adding a record type")."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from incidents.records import PRIORITISED_EXPORT_COLUMNS
from servicedesk.registry import DashboardSource, RecordType, register

VIEW = "problems.view_problem"
WORK = "problems.work_problem"
MANAGE = "problems.manage_problem"

PERMISSIONS = {
    # Agents read problems, raise them from incidents, analyse, note and link them.
    Role.AGENT: (VIEW, "problems.add_problem", WORK),
    # Problem managers also decide: known error, resolved, closed, cancelled.
    Role.PROBLEM_MANAGER: (MANAGE, "problems.change_problem"),
    Role.ADMINISTRATOR: (MANAGE, "problems.change_problem"),
}

PROBLEM = RecordType(
    key="problem",
    model="problems.Problem",
    label=_("Problems"),
    name=_("Problem"),
    visible_to="problems.selectors.problems_visible_to",
    detail_url_name="problems:detail",
    sla_metrics=("resolution",),
    assign="problems.records.assign",
    update="problems.records.update",
    transition="problems.records.transition",
    view_permission=VIEW,
    work_permission=WORK,
    dashboard=DashboardSource(),
    ci_field="configuration_item",
    permissions=PERMISSIONS,
    export_columns=(
        *PRIORITISED_EXPORT_COLUMNS,
        (_("Requester"), "requester__email"),
        (_("Support group"), "support_group__name"),
        (_("Assignee"), "assignee__email"),
        (_("Category"), "category__name"),
        (_("Service"), "service__name"),
        (_("Configuration item"), "configuration_item__name"),
        (_("Created"), "created_at"),
        (_("Root cause found"), "root_cause_at"),
        (_("Known error"), "known_error_at"),
        (_("Resolved"), "resolved_at"),
        (_("Closed"), "closed_at"),
    ),  # fmt: skip
    export_filter="problems.filters.ProblemFilter",
    export_queue="problems.selectors.problem_queue",
)


def assign(*, record_id: int, actor, support_group, assignee=None):
    from problems.services import problem_assign

    return problem_assign(
        problem_id=record_id, actor=actor, support_group=support_group, assignee=assignee
    )


def update(*, record_id: int, actor, changes, version=None):
    from problems.services import problem_update

    return problem_update(problem_id=record_id, actor=actor, changes=changes, version=version)


def transition(*, record_id: int, actor, target: str, version=None, pending_reason: str = ""):
    """A status set by a macro (a problem has no pending reason: it is ignored)."""
    from problems.services import problem_transition

    return problem_transition(problem_id=record_id, actor=actor, target=target, version=version)


def register_problems() -> None:
    register(PROBLEM)
