"""Reads on problems: who may see which, the queue, the record page and the incidents' side."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from incidents.models import Incident
from problems.models import Problem
from problems.records import VIEW
from servicedesk.models import LinkKind, RecordLink
from servicedesk.scoping import staff_scope

LIST_RELATED = ("assignee", "support_group", "service", "configuration_item")


def problems_visible_to(user) -> QuerySet[Problem]:
    """Those who read problems (agents and every staff role built on theirs) see every
    problem (within the organisations they serve, with scoped visibility on); end users never
    see one (their pages answer 404)."""
    if not user.is_authenticated or not user.has_perm(VIEW):
        return Problem.objects.none()
    return Problem.objects.filter(staff_scope(user))


QUEUES = {
    "open": lambda user: {"status__in": Problem.WORKFLOW.open_states},
    "mine": lambda user: {"assignee": user, "status__in": Problem.WORKFLOW.open_states},
    "known_errors": lambda user: {"status": "known_error"},
    "all": lambda user: {},
}


def problem_queue(*, user, queue: str = "open") -> QuerySet[Problem]:
    """A queue's problems the person may see, with the list's relations in the same query."""
    rows = problems_visible_to(user).filter(**QUEUES.get(queue, QUEUES["open"])(user))
    return rows.select_related(*LIST_RELATED)


def problem_for_page(*, user, number: str) -> Problem:
    """The problem with this number for its page; Problem.DoesNotExist when hidden or missing."""
    return (
        problems_visible_to(user)
        .select_related(
            "requester", "assignee", "support_group", "service", "configuration_item", "category"
        )
        .get(number=number)
    )


def _types() -> tuple[ContentType, ContentType]:
    return ContentType.objects.get_for_model(Incident), ContentType.objects.get_for_model(Problem)


def incident_links(problem: Problem) -> QuerySet[RecordLink]:
    """The "incident caused by problem" links of a problem."""
    incident_type, problem_type = _types()
    return RecordLink.objects.filter(
        kind=LinkKind.CAUSED_BY,
        source_type=incident_type,
        target_type=problem_type,
        target_id=problem.pk,
    )


def problem_incidents(problem: Problem) -> QuerySet[Incident]:
    """The incidents the problem causes (its `caused_by` links), oldest first."""
    ids = incident_links(problem).values("source_id")
    return (
        Incident.objects.filter(pk__in=ids)
        .select_related("requester", "assignee")
        .order_by("created_at", "id")
    )


def problem_open_incidents(problem: Problem) -> QuerySet[Incident]:
    return problem_incidents(problem).filter(status__in=Incident.WORKFLOW.open_states)


def problems_of_incident(*, user, incident: Incident) -> QuerySet[Problem]:
    """The problems that cause an incident (its `caused_by` links), those the person may see."""
    incident_type, problem_type = _types()
    ids = RecordLink.objects.filter(
        kind=LinkKind.CAUSED_BY,
        source_type=incident_type,
        source_id=incident.pk,
        target_type=problem_type,
    ).values("target_id")
    return problems_visible_to(user).filter(pk__in=ids).order_by("-created_at", "-id")


def has_fixing_change(problem: Problem) -> bool:
    """Whether a record of type "change" is linked to the problem as its fix (`fixes`, either
    way round: "CHG fixes PRB" is how the change side records it)."""
    problem_type = ContentType.objects.get_for_model(Problem)
    links = RecordLink.objects.filter(kind=LinkKind.FIXES)
    forward = links.filter(
        target_type=problem_type, target_id=problem.pk, source_type__model="change"
    )
    backward = links.filter(
        source_type=problem_type, source_id=problem.pk, target_type__model="change"
    )
    return forward.exists() or backward.exists()
