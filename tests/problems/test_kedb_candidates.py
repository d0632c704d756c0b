"""Problem candidates: the periodic finder over real incidents, what it leaves out (covered,
dismissed), accepting (a problem with the incidents linked) and dismissing, and who may."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from problems import selectors as problem_selectors
from problems.kedb import services
from problems.kedb.models import CandidateSettings, CandidateStatus, ProblemCandidate
from problems.kedb.tasks import find_problem_candidates_task
from servicedesk.exceptions import TransitionNotAllowed
from tests.factories import UserFactory
from tests.incidents.factories import (
    AgentFactory,
    ConfigurationItemFactory,
    SupportGroupFactory,
    incident,
)
from tests.problems.factories import ProblemManagerFactory, problem

pytestmark = pytest.mark.django_db

TITLES = [
    "Laptop fan grinds loudly after BIOS update",
    "Fan grinding noise since the BIOS update",
    "BIOS update made the fan grind",
]


def planted(n=5, *, ci=None, days_ago=2):
    ci = ci or ConfigurationItemFactory(name="LT-00042")
    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent])
    made = []
    for i in range(n):
        with time_machine.travel(timezone.now() - timedelta(days=days_ago, hours=i * 5)):
            made.append(
                incident(
                    actor=agent,
                    title=TITLES[i % 3],
                    requester=UserFactory(role=Role.END_USER),
                    configuration_item=ci,
                    support_group=group,
                )
            )
    return made


def refresh():
    return services.candidates_refresh(actor=ProblemManagerFactory())


def test_a_planted_cluster_is_proposed_with_why():
    cluster = planted()
    other = incident(title="Printer shows offline", requester=UserFactory(role=Role.END_USER))
    [candidate] = refresh()
    assert candidate.status == CandidateStatus.PROPOSED
    ids = set(candidate.incidents.values_list("pk", flat=True))
    assert ids == {i.pk for i in cluster}
    assert other.pk not in ids
    assert candidate.facet == "configuration_item"
    assert candidate.requester_count == 5
    assert {"bios", "fan"} <= set(candidate.reasons["common_words"])
    assert candidate.title in TITLES


def test_the_task_is_idempotent():
    planted()
    assert find_problem_candidates_task() == 1
    assert find_problem_candidates_task() == 1
    assert ProblemCandidate.objects.count() == 1


def test_a_cluster_a_problem_covers_is_not_proposed():
    cluster = planted()
    problem(incident_ids=[i.pk for i in cluster[:3]])
    assert refresh() == []


def test_a_dismissed_cluster_is_not_proposed_again_even_grown():
    ci = ConfigurationItemFactory(name="LT-00043")
    planted(ci=ci)
    [candidate] = refresh()
    services.candidate_dismiss(
        candidate_id=candidate.pk, actor=ProblemManagerFactory(), reason="A known BIOS batch."
    )
    planted(n=3, ci=ci, days_ago=1)
    assert refresh() == []
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED
    assert ProblemCandidate.objects.count() == 1


def test_accepting_raises_a_problem_with_the_incidents_linked():
    cluster = planted()
    [candidate] = refresh()
    manager = ProblemManagerFactory()
    created = services.candidate_accept(candidate_id=candidate.pk, actor=manager)
    linked = set(problem_selectors.incident_links(created).values_list("source_id", flat=True))
    assert linked == {i.pk for i in cluster}
    assert created.configuration_item_id == cluster[0].configuration_item_id
    assert "fan" in created.description
    candidate.refresh_from_db()
    assert (candidate.status, candidate.problem, candidate.decided_by) == (
        CandidateStatus.ACCEPTED, created, manager,
    )  # fmt: skip
    with pytest.raises(TransitionNotAllowed):
        services.candidate_accept(candidate_id=candidate.pk, actor=manager)
    assert refresh() == []  # its incidents are covered now


def test_only_problem_managers_decide(agent):
    planted()
    [candidate] = refresh()
    with pytest.raises(PermissionDenied):
        services.candidate_accept(candidate_id=candidate.pk, actor=agent)
    with pytest.raises(PermissionDenied):
        services.candidate_dismiss(candidate_id=candidate.pk, actor=agent)


def test_the_settings_decide(settings):
    planted()
    row = CandidateSettings.current()
    row.min_incidents = 6
    row.save()
    assert refresh() == []
    row.min_incidents = 4
    row.enabled = False
    row.save()
    assert refresh() == []


def test_the_pages_are_for_problem_managers_only(client, agent, end_user):
    planted()
    [candidate] = refresh()
    pages = [
        reverse("kedb:candidates"),
        reverse("kedb:candidate", args=[candidate.pk]),
    ]
    for person in (agent, end_user):
        client.force_login(person)
        for url in pages:
            assert client.get(url).status_code == 404
        assert client.post(reverse("kedb:candidate_accept", args=[candidate.pk])).status_code == 404
    candidate.refresh_from_db()
    assert candidate.is_proposed
    client.force_login(ProblemManagerFactory())
    page = client.get(pages[0]).content.decode()
    assert candidate.title in page and "LT-00042" in page
    detail = client.get(pages[1]).content.decode()
    assert "Why these incidents were grouped" in detail
    # Five where none were usual: no accident, and the page says so.
    assert candidate.reasons["chance"] < 0.0005
    assert "By chance at the usual rate: less than 0.001%" in detail
    response = client.post(reverse("kedb:candidate_accept", args=[candidate.pk]))
    candidate.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:detail", args=[candidate.problem.number])


def test_dismissing_from_the_page(client):
    planted()
    [candidate] = refresh()
    client.force_login(ProblemManagerFactory())
    response = client.post(
        reverse("kedb:candidate_dismiss", args=[candidate.pk]), {"reason": "Expected noise."}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED
    assert candidate.dismiss_reason == "Expected noise."
    again = client.post(reverse("kedb:candidate_dismiss", args=[candidate.pk]), follow=True)
    assert "dismissed already" in again.content.decode()
