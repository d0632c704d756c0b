"""Every write on problems. The pages, the API and tasks call these.

Each public function runs in one transaction: the problem, its audit rows, its links and the
incidents it resolves commit together. Errors:
- django ValidationError with field errors for bad input (nothing saved),
- TransitionNotAllowed (409) for a status change the workflow or a guard refuses,
- StaleVersion (409) when the caller edited an older version,
- PermissionDenied when the actor may not do it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import services as incident_services
from incidents.choices import Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.models import Incident
from incidents.priority import current_matrix, priority_for
from problems import selectors
from problems.choices import ProblemStatus, RcaMethod
from problems.models import Problem
from problems.rca import rca_clean
from problems.records import MANAGE, PROBLEM
from problems.workflow import PROBLEM_WORKFLOW
from servicedesk import services as kernel
from servicedesk.exceptions import ApplicationError
from servicedesk.models import LinkKind, Visibility
from servicedesk.text import plain_text, sanitise_html
from sla import services as sla

# Fields staff edit on the problem page or through the API (assignment and status have their
# own services).
EDITABLE_FIELDS = (
    "title",
    "description",
    "impact",
    "urgency",
    "category",
    "service",
    "configuration_item",
    "symptoms",
    "root_cause",
    "workaround",
    "rca_method",
    "rca_data",
)
RICH_TEXT = ("description", "symptoms", "root_cause", "workaround")

# Moves only a problem manager makes: what the KEDB publishes and what ends a problem.
MANAGER_TARGETS = (
    ProblemStatus.KNOWN_ERROR,
    ProblemStatus.RESOLVED,
    ProblemStatus.CLOSED,
    ProblemStatus.CANCELLED,
)


def ensure_can_work(actor) -> None:
    """Staff who work problems (agents and up) only; PermissionDenied otherwise."""
    kernel.ensure_can_work(actor, model=Problem)


def ensure_can_manage(actor) -> None:
    """Problem managers (and administrators) only."""
    ensure_can_work(actor)
    if not actor.has_perm(MANAGE):
        raise PermissionDenied(_("Only a problem manager can do this."))


def _priority(impact: str, urgency: str) -> int:
    errors = {}
    if impact not in Impact.values:
        errors["impact"] = [_("Choose high, medium or low impact.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose high, medium or low urgency.")]
    if errors:
        raise ValidationError(errors)
    try:
        return priority_for(impact, urgency, current_matrix())
    except KeyError:
        raise ValidationError(
            {"urgency": [_("The priority matrix has no cell for this impact and urgency.")]}
        ) from None


def _clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    for name in RICH_TEXT:
        if name in values:
            values[name] = sanitise_html(values[name] or "")
    if "rca_data" in values:
        values["rca_data"] = rca_clean(values["rca_data"])
    if values.get("rca_method") not in (None, *RcaMethod.values):
        raise ValidationError({"rca_method": [_("Choose 5 whys, fishbone or timeline.")]})
    category = values.get("category")
    if category is not None and not category.is_active:
        raise ValidationError({"category": [_("This category is no longer in use.")]})
    return values


def _incidents_for(actor, incident_ids: Iterable[int]) -> list[Incident]:
    ids = sorted(set(incident_ids))
    found = list(incident_services.incidents_visible_to(actor).filter(pk__in=ids).order_by("pk"))
    if len(found) != len(ids):
        raise ValidationError({"incidents": [_("Some of these incidents do not exist.")]})
    return found


def _common(incidents: list[Incident], name: str):
    values = {getattr(incident, f"{name}_id") for incident in incidents}
    if len(values) == 1 and None not in values:
        return getattr(incidents[0], name)
    return None


@transaction.atomic
def problem_create(*, actor, incident_ids: Iterable[int] = (), **fields: Any) -> Problem:
    """Raise a problem, optionally from incidents ("INC caused by PRB" links, one per
    incident, audited on both timelines). Without a title it takes the first incident's; the
    service, CI and category the incidents share are the problem's unless given; impact and
    urgency default to the highest among them (else medium). Priority comes from the
    incidents' matrix; SLA timers start where a policy for problems matches.

    Raises PermissionDenied (not staff), ValidationError (bad fields, unknown incidents),
    ApplicationError (fields that are not a problem's).
    """
    ensure_can_work(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"support_group", "assignee", "requester"}
    if unknown:
        raise ApplicationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    incidents = _incidents_for(actor, incident_ids) if incident_ids else []
    order = [Impact.HIGH, Impact.MEDIUM, Impact.LOW]
    if incidents:
        fields.setdefault("title", incidents[0].title)
        for name in ("service", "configuration_item", "category"):
            if fields.get(name) is None:
                fields[name] = _common(incidents, name)
        for name in ("impact", "urgency"):
            if not fields.get(name):
                fields[name] = min((getattr(i, name) for i in incidents), key=order.index)
        if not fields.get("symptoms"):
            fields["symptoms"] = "".join(
                f"<p>{incident.number}: {plain_text(incident.title)}</p>" for incident in incidents
            )
    fields.setdefault("impact", Impact.MEDIUM)
    fields.setdefault("urgency", Urgency.MEDIUM)
    fields = _clean_fields(dict(fields))
    fields.setdefault("requester", actor)
    fields["priority"] = _priority(fields["impact"], fields["urgency"])
    assignee, group = fields.get("assignee"), fields.get("support_group")
    if assignee is not None and (group is None or not kernel.is_member(assignee, group)):
        raise ValidationError({"assignee": [_("Choose the problem manager's support group too.")]})
    if plain_text(fields.get("root_cause") or ""):
        fields["root_cause_at"] = timezone.now()
    problem = kernel.record_create(model=Problem, actor=actor, fields=fields)
    sla.start_timers(problem, record_type=PROBLEM.key)
    for incident in incidents:
        kernel.record_link_add(
            source=incident, target=problem, kind=LinkKind.CAUSED_BY, actor=actor
        )
    return problem


@transaction.atomic
def problem_update(
    *, problem_id: int, actor, changes: Mapping[str, Any], version: int | None = None
) -> Problem:
    """Edit a problem's facts or its analysis. A new impact or urgency recomputes the
    priority (and the SLA targets); the first root cause recorded stamps `root_cause_at`.

    Raises PermissionDenied, StaleVersion, TransitionNotAllowed (a closed or cancelled
    problem), ValidationError, ApplicationError (fields that cannot be edited).
    """
    ensure_can_work(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %s") % ", ".join(sorted(unknown))
        )
    problem = kernel.record_lock(model=Problem, pk=problem_id, expected_version=version)
    kernel.ensure_not_final(problem)
    changes = _clean_fields(dict(changes))
    if "impact" in changes or "urgency" in changes:
        changes["priority"] = _priority(
            changes.get("impact", problem.impact), changes.get("urgency", problem.urgency)
        )
    if problem.status == ProblemStatus.KNOWN_ERROR:
        kept = {
            "root_cause": _("A known error keeps its root cause."),
            "workaround": _("A known error keeps its workaround."),
        }
        for name, message in kept.items():
            if name in changes and not plain_text(changes[name]):
                raise ValidationError({name: [message]})
    changed = kernel.record_update(record=problem, actor=actor, changes=changes)
    if "root_cause" in changed and problem.root_cause_at is None and plain_text(problem.root_cause):
        problem.root_cause_at = timezone.now()
        problem.save(update_fields=["root_cause_at"])
    if {"priority", "service", "organisation"} & set(changed):
        sla.priority_changed(problem, record_type=PROBLEM.key)
    return problem


@transaction.atomic
def problem_transition(
    *,
    problem_id: int,
    actor,
    target: str,
    version: int | None = None,
    note: str = "",
    reason: str = "",
    resolve_incidents: bool = False,
) -> Problem:
    """Move a problem to `target`. Known error, resolved, closed and cancelled are a problem
    manager's. A known error needs a root cause and a workaround; resolving needs a root cause
    and either a change linked as its fix or a `reason` (kept as the problem's resolution).

    With `resolve_incidents`, resolving also resolves the problem's open linked incidents,
    each through `incident_transition` (audited, its requester told in their language),
    locked after the problem (the lock order), in primary-key order.

    Raises PermissionDenied, StaleVersion, TransitionNotAllowed (with the guard's reason).
    """
    ensure_can_work(actor)
    if target in MANAGER_TARGETS:
        ensure_can_manage(actor)
    problem = kernel.record_lock(model=Problem, pk=problem_id, expected_version=version)
    source = problem.status
    reason = sanitise_html(reason)
    context = {"reason": reason, "has_fix": target == ProblemStatus.RESOLVED
               and selectors.has_fixing_change(problem)}  # fmt: skip
    kernel.record_transition(
        record=problem, workflow=PROBLEM_WORKFLOW, target=target, actor=actor,
        note=note or plain_text(reason), context=context,
    )  # fmt: skip
    now = timezone.now()
    extra: dict[str, Any] = {}
    if target == ProblemStatus.KNOWN_ERROR and problem.known_error_at is None:
        extra["known_error_at"] = now
    if target == ProblemStatus.RESOLVED:
        extra["resolved_at"] = now
        if plain_text(reason):
            extra["resolution"] = reason
    elif source == ProblemStatus.RESOLVED and target != ProblemStatus.CLOSED:
        extra.update(resolved_at=None, resolution="")
    if target == ProblemStatus.CLOSED:
        extra["closed_at"] = now
    for name, value in extra.items():
        setattr(problem, name, value)
    if extra:
        problem.save(update_fields=list(extra))
    sla.record_status_changed(problem, old=source, new=target, record_type=PROBLEM.key)
    if target == ProblemStatus.RESOLVED and resolve_incidents:
        _resolve_incidents(problem, actor=actor)
    return problem


def _resolve_incidents(problem: Problem, *, actor) -> list[str]:
    """Precondition: the problem is locked. Its open incidents are locked next, in primary-key
    order, then resolved one by one through the incidents' own service."""
    ids = list(
        Incident.objects.select_for_update(of=("self",))
        .filter(pk__in=selectors.problem_open_incidents(problem).values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    notes = _("Resolved with problem %(number)s: %(resolution)s") % {
        "number": problem.number,
        "resolution": plain_text(problem.resolution or problem.root_cause),
    }
    done = []
    for incident_id in ids:
        incident = incident_services.incident_transition(
            incident_id=incident_id,
            actor=actor,
            target=IncidentStatus.RESOLVED,
            resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
            resolution_notes=notes,
            note=notes,
        )
        done.append(incident.number)
    return done


@transaction.atomic
def problem_link_incidents(*, problem_id: int, incident_ids: Iterable[int], actor) -> list[str]:
    """Link incidents to the problem ("INC caused by PRB"); those linked already are left as
    they are. Returns the numbers newly linked. Raises as `kernel.record_link_add`, and
    ValidationError for incidents the actor may not see or that do not exist."""
    ensure_can_work(actor)
    problem = kernel.record_lock(model=Problem, pk=problem_id)
    kernel.ensure_not_final(problem)
    already = set(selectors.incident_links(problem).values_list("source_id", flat=True))
    linked = []
    for incident in _incidents_for(actor, incident_ids):
        if incident.pk in already:
            continue
        kernel.record_link_add(
            source=incident, target=problem, kind=LinkKind.CAUSED_BY, actor=actor
        )
        linked.append(incident.number)
    return linked


@transaction.atomic
def problem_unlink_incident(*, problem_id: int, incident_id: int, actor) -> None:
    """Remove the "caused by" link between an incident and the problem (audited on both).
    Raises ValidationError (`incident`) when they are not linked."""
    ensure_can_work(actor)
    problem = kernel.record_lock(model=Problem, pk=problem_id)
    link = selectors.incident_links(problem).filter(source_id=incident_id).first()
    if link is None:
        raise ValidationError({"incident": [_("This incident is not linked to the problem.")]})
    kernel.record_link_remove(link_id=link.pk, actor=actor)


def problem_assign(
    *, problem_id: int, actor, support_group, assignee=None, version: int | None = None
) -> Problem:
    """Give the problem to a group and its problem manager (`kernel.record_assign`)."""
    return kernel.record_assign(
        model=Problem, record_id=problem_id, actor=actor, support_group=support_group,
        assignee=assignee, version=version,
    )  # fmt: skip


def problem_take(*, problem_id: int, actor, version: int | None = None) -> Problem:
    """ "Assign to me" (`kernel.record_take`)."""
    return kernel.record_take(model=Problem, record_id=problem_id, actor=actor, version=version)


def problem_comment(
    *, problem_id: int, actor, body: str, visibility: str = Visibility.INTERNAL, files=()
):
    """A work note (or a public reply, for the requester who raised it) on a problem."""
    ensure_can_work(actor)
    return kernel.record_comment(
        model=Problem, record_id=problem_id, actor=actor, body=body, visibility=visibility,
        files=files,
    )  # fmt: skip


def problem_attach(*, problem_id: int, actor, file, visibility: str = Visibility.INTERNAL):
    """A file on a problem (logs, dumps, the analysis' diagrams)."""
    ensure_can_work(actor)
    return kernel.record_attach(
        model=Problem, record_id=problem_id, actor=actor, file=file, visibility=visibility
    )
