"""The problem services: numbering, priority, the workflow's guards, who may decide, links to
incidents on both sides, resolving a problem with its incidents, and the analysis' checks."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.choices import IncidentStatus
from incidents.models import Incident
from problems import selectors, services
from problems.choices import ProblemStatus as S
from problems.models import Problem
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditEvent, AuditKind, LinkKind, Notification, RecordLink
from tests.incidents.factories import AgentFactory, incident, incident_in
from tests.problems.factories import (
    ROOT_CAUSE,
    WORKAROUND,
    ProblemManagerFactory,
    known_error,
    problem,
)

pytestmark = pytest.mark.django_db


def events_of(record, **filters):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, **filters
    )


def test_a_problem_is_numbered_prioritised_from_the_matrix_and_audited():
    created = problem(impact="high", urgency="high")
    # PostgreSQL sequences are not rolled back with a test's transaction: earlier tests draw numbers.
    assert re.fullmatch(r"PRB\d{7}", created.number)
    assert created.status == S.NEW
    assert created.priority == 1
    assert events_of(created, kind=AuditKind.CREATED).count() == 1
    low = problem(impact="low", urgency="low")
    assert low.priority == 5  # the seeded matrix gives no 6


def test_end_users_may_not_raise_problems(end_user):
    with pytest.raises(PermissionDenied):
        problem(actor=end_user)


def test_a_known_error_needs_a_root_cause_then_a_workaround():
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    with pytest.raises(TransitionNotAllowed, match="root cause"):
        services.problem_transition(problem_id=created.pk, actor=manager, target=S.KNOWN_ERROR)
    services.problem_update(
        problem_id=created.pk, actor=manager, changes={"root_cause": ROOT_CAUSE}
    )
    with pytest.raises(TransitionNotAllowed, match="workaround"):
        services.problem_transition(problem_id=created.pk, actor=manager, target=S.KNOWN_ERROR)
    services.problem_update(
        problem_id=created.pk, actor=manager, changes={"workaround": WORKAROUND}
    )
    done = services.problem_transition(problem_id=created.pk, actor=manager, target=S.KNOWN_ERROR)
    assert done.status == S.KNOWN_ERROR
    assert done.known_error_at is not None
    assert done.root_cause_at is not None and done.root_cause_at <= done.known_error_at


def test_only_a_problem_manager_decides_a_known_error():
    agent = AgentFactory()
    created = problem(actor=agent, root_cause=ROOT_CAUSE, workaround=WORKAROUND)
    with pytest.raises(PermissionDenied):
        services.problem_transition(problem_id=created.pk, actor=agent, target=S.KNOWN_ERROR)
    # An agent still moves it through the analysis.
    moved = services.problem_transition(
        problem_id=created.pk, actor=agent, target=S.ROOT_CAUSE_ANALYSIS
    )
    assert moved.status == S.ROOT_CAUSE_ANALYSIS


def test_resolving_needs_a_fixing_change_or_a_reason():
    manager = ProblemManagerFactory()
    created = known_error(manager=manager)
    with pytest.raises(TransitionNotAllowed, match="change"):
        services.problem_transition(problem_id=created.pk, actor=manager, target=S.RESOLVED)
    resolved = services.problem_transition(
        problem_id=created.pk, actor=manager, target=S.RESOLVED,
        reason="The vendor's patch was installed by the supplier.",
    )  # fmt: skip
    assert resolved.status == S.RESOLVED
    assert "vendor" in resolved.resolution
    assert resolved.resolved_at is not None


def test_a_stale_version_is_refused():
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    services.problem_update(
        problem_id=created.pk, actor=manager, changes={"title": "New"}, version=created.version
    )
    with pytest.raises(StaleVersion):
        services.problem_update(
            problem_id=created.pk, actor=manager, changes={"title": "Old"}, version=created.version
        )


def test_a_new_urgency_recomputes_the_priority():
    manager = ProblemManagerFactory()
    created = problem(actor=manager, impact="high", urgency="low")
    assert created.priority == 4
    updated = services.problem_update(
        problem_id=created.pk, actor=manager, changes={"urgency": "high"}
    )
    assert updated.priority == 1


def test_raising_a_problem_from_incidents_links_them_both_ways():
    agent = AgentFactory()
    incidents = [incident(actor=agent, title=f"VPN drops {n}", impact="low") for n in range(3)]
    raised = services.problem_create(actor=agent, incident_ids=[i.pk for i in incidents])
    assert raised.title == "VPN drops 0"
    assert raised.impact == "low"
    assert list(selectors.problem_incidents(raised)) == incidents
    for one in incidents:
        assert list(selectors.problems_of_incident(user=agent, incident=one)) == [raised]
        assert events_of(one, kind=AuditKind.LINKED).count() == 1
    assert events_of(raised, kind=AuditKind.LINKED).count() == 3
    links = RecordLink.objects.filter(kind=LinkKind.CAUSED_BY)
    assert links.count() == 3


def test_link_and_unlink_incidents():
    agent = AgentFactory()
    created = problem(actor=agent)
    one, two = incident(actor=agent), incident(actor=agent)
    assert services.problem_link_incidents(
        problem_id=created.pk, incident_ids=[one.pk, two.pk], actor=agent
    ) == [one.number, two.number]
    # Linked already: nothing new.
    assert (
        services.problem_link_incidents(problem_id=created.pk, incident_ids=[one.pk], actor=agent)
        == []
    )
    services.problem_unlink_incident(problem_id=created.pk, incident_id=one.pk, actor=agent)
    assert list(selectors.problem_incidents(created)) == [two]
    assert events_of(one, kind=AuditKind.UNLINKED).count() == 1
    with pytest.raises(ValidationError):
        services.problem_link_incidents(problem_id=created.pk, incident_ids=[999999], actor=agent)


def test_resolving_a_problem_resolves_its_open_incidents_and_tells_each_requester(make_user):
    manager = ProblemManagerFactory()
    agent = AgentFactory()
    requesters = [make_user(language="fa"), make_user(language="en")]
    open_ones = [incident(actor=agent, requester=person) for person in requesters]
    done_already = incident_in(IncidentStatus.RESOLVED, agent=agent)
    created = known_error(manager=manager)
    services.problem_link_incidents(
        problem_id=created.pk, incident_ids=[i.pk for i in [*open_ones, done_already]], actor=agent
    )
    Notification.objects.all().delete()
    services.problem_transition(
        problem_id=created.pk, actor=manager, target=S.RESOLVED,
        reason="Certificate chain renewed.", resolve_incidents=True,
    )  # fmt: skip
    for one in open_ones:
        one.refresh_from_db()
        assert one.status == IncidentStatus.RESOLVED
        assert created.number in one.resolution_notes
        assert events_of(one, kind=AuditKind.STATUS_CHANGED, actor=manager).exists()
    told = Notification.objects.filter(kind="resolved")
    assert sorted(told.values_list("user_ids", flat=True)) == sorted([p.pk] for p in requesters)
    done_already.refresh_from_db()
    assert Incident.objects.filter(status=IncidentStatus.RESOLVED).count() == 3


def test_the_analysis_is_checked():
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    updated = services.problem_update(
        problem_id=created.pk,
        actor=manager,
        changes={
            "rca_method": "five_whys",
            "rca_data": {
                "five_whys": ["The VPN drops", "The standby node answers", "Its chain expired"],
                "fishbone": {"technology": "Certificate", "process": "No renewal reminder"},
                "timeline": [
                    {"at": "2026-12-01T10:30", "event": "Second report"},
                    {"at": "2026-12-01T09:00", "event": "First report"},
                ],
            },
        },
    )
    data = updated.rca_data
    assert data["five_whys"][2] == "Its chain expired" and data["five_whys"][4] == ""
    assert data["timeline"][0]["event"] == "First report"
    for bad in (
        {"five_whys": ["", "second without a first"]},
        {"five_whys": ["1", "2", "3", "4", "5", "6"]},
        {"fishbone": {"weather": "rain"}},
        {"timeline": [{"at": "yesterday", "event": "x"}]},
        {"unknown": []},
    ):
        with pytest.raises(ValidationError):
            services.problem_update(problem_id=created.pk, actor=manager, changes={"rca_data": bad})


def test_a_known_error_keeps_its_workaround():
    manager = ProblemManagerFactory()
    created = known_error(manager=manager)
    with pytest.raises(ValidationError):
        services.problem_update(problem_id=created.pk, actor=manager, changes={"workaround": ""})


def test_end_users_see_no_problem(end_user, agent):
    created = problem(actor=agent)
    assert not selectors.problems_visible_to(end_user).exists()
    assert list(selectors.problems_visible_to(agent)) == [created]
    assert Problem.objects.count() == 1


def test_the_timeline_shows_rich_text_and_the_analysis_as_text():
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    services.problem_update(
        problem_id=created.pk,
        actor=manager,
        changes={"root_cause": ROOT_CAUSE, "rca_data": {"five_whys": ["Drops", "Expired"]}},
    )
    texts = dict(events_of(created, kind=AuditKind.FIELD_CHANGED).values_list("field", "new_text"))
    assert (
        texts["root_cause"].startswith("The VPN concentrator") and "<p>" not in texts["root_cause"]
    )
    assert texts["rca_data"] == "Drops · Expired"
