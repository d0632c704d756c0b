"""The problem pages: the queue, the record page and its forms, raising from the incident
queue and page, the incident page's problem panel, and who gets a 404."""

import pytest
from django.contrib.contenttypes.models import ContentType

from problems import selectors
from problems.models import Problem
from servicedesk.models import AuditEvent, AuditKind
from tests.incidents.factories import AgentFactory, incident
from tests.problems.factories import ProblemManagerFactory, known_error, problem

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_queue_lists_filters_and_pages(client):
    agent = AgentFactory()
    for n in range(3):
        problem(actor=agent, title=f"Disk fills up {n}")
    problem(actor=agent, title="Printer offline")
    page = signed_in(client, agent).get("/problems/", {"q": "disk"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Disk fills up 2" in text and "Printer offline" not in text
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "QUEUE_PAGE_SIZE", 2)
        first = client.get("/problems/", {"queue": "all"})
        assert 'rel="next"' in first.content.decode()


def test_end_users_get_404_on_every_problem_page(client, end_user):
    created = problem()
    signed_in(client, end_user)
    for url in (f"/problems/{created.number}/", "/problems/", "/problems/kpis/"):
        assert client.get(url).status_code in (403, 404)
    assert client.get(f"/problems/{created.number}/").status_code in (403, 404)
    response = client.post(f"/problems/{created.number}/comment/", {"body": "x"})
    assert response.status_code in (403, 404)
    assert Problem.objects.get().version == created.version


def test_a_missing_problem_is_a_404(client):
    signed_in(client, AgentFactory())
    assert client.get("/problems/PRB0009999/").status_code == 404


def test_raise_a_problem_from_the_incident_queue(client):
    agent = AgentFactory()
    chosen = [incident(actor=agent, title=f"Wi-Fi drops on floor {n}") for n in range(3)]
    signed_in(client, agent)
    queue = client.get("/incidents/", {"queue": "all"}).content.decode()
    assert 'formaction="/problems/raise/"' in queue
    response = client.post("/problems/raise/", {"incidents": [i.pk for i in chosen]})
    created = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/problems/{created.number}/"
    assert list(selectors.problem_incidents(created)) == chosen
    page = client.get(response["Location"]).content.decode()
    for one in chosen:
        assert one.number in page


def test_raising_without_incidents_says_so(client):
    signed_in(client, AgentFactory())
    response = client.post("/problems/raise/", {}, follow=True)
    assert "Select the incidents" in response.content.decode()
    assert not Problem.objects.exists()


def test_the_incident_page_shows_its_known_error_and_workaround(client):
    manager = ProblemManagerFactory()
    agent = AgentFactory()
    one = incident(actor=agent)
    signed_in(client, agent)
    before = client.get(f"/incidents/{one.number}/").content.decode()
    assert 'id="problem-panel"' in before and "Raise a problem" in before
    known = known_error(manager=manager, workaround="<p>Use the guest network.</p>")
    client.post(f"/problems/{known.number}/incidents/", {"numbers": one.number})
    page = client.get(f"/incidents/{one.number}/").content.decode()
    assert known.number in page and "Use the guest network." in page


def test_the_problem_manager_records_the_analysis_and_publishes_the_known_error(client):
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    signed_in(client, manager)
    saved = client.post(
        f"/problems/{created.number}/analysis/",
        {"version": created.version, "symptoms": "Calls drop", "root_cause": "Codec mismatch",
         "workaround": "Dial through the gateway", "rca_method": "five_whys",
         "why_0": "Calls drop", "why_1": "The codec is refused"},
    )  # fmt: skip
    assert saved.status_code == 302
    created.refresh_from_db()
    assert created.rca_data["five_whys"][:2] == ["Calls drop", "The codec is refused"]
    published = client.post(
        f"/problems/{created.number}/status/",
        {"version": created.version, "target": "known_error"},
    )
    assert published.status_code == 302
    created.refresh_from_db()
    assert created.status == "known_error"
    kinds = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Problem), object_id=created.pk
    ).values_list("kind", flat=True)
    assert AuditKind.STATUS_CHANGED in kinds


def test_a_refused_move_is_shown_not_a_500(client):
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    signed_in(client, manager)
    response = client.post(
        f"/problems/{created.number}/status/", {"version": created.version, "target": "known_error"}
    )
    assert response.status_code == 409
    assert "root cause" in response.content.decode()


def test_a_gap_in_the_whys_is_shown_on_the_form(client):
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    signed_in(client, manager)
    response = client.post(
        f"/problems/{created.number}/analysis/",
        {"version": created.version, "why_1": "no first answer"},
    )
    assert response.status_code == 400
    assert "without gaps" in response.content.decode()


def test_edit_the_facts_and_a_stale_edit_is_refused_on_the_form(client):
    manager = ProblemManagerFactory()
    created = problem(actor=manager, impact="low", urgency="low")
    signed_in(client, manager)
    form = {"title": "Renamed", "impact": "high", "urgency": "high", "version": created.version}
    assert client.get(f"/problems/{created.number}/edit/").status_code == 200
    assert client.post(f"/problems/{created.number}/edit/", form).status_code == 302
    created.refresh_from_db()
    assert (created.title, created.priority) == ("Renamed", 1)
    stale = client.post(f"/problems/{created.number}/edit/", {**form, "title": "Again"})
    assert stale.status_code == 409
    created.refresh_from_db()
    assert created.title == "Renamed"


def test_create_a_problem_from_the_form(client):
    agent = AgentFactory()
    one = incident(actor=agent)
    signed_in(client, agent)
    page = client.get("/problems/new/", {"incidents": one.pk}).content.decode()
    assert one.number in page
    response = client.post(
        "/problems/new/",
        {"title": "Backups fail", "impact": "medium", "urgency": "low", "incidents": one.pk},
    )
    created = Problem.objects.get()
    assert response["Location"] == f"/problems/{created.number}/"
    assert list(selectors.problem_incidents(created)) == [one]
    bad = client.post("/problems/new/", {"title": "", "impact": "x"})
    assert bad.status_code == 200 and Problem.objects.count() == 1


def test_unlinking_an_incident_that_is_not_linked_is_a_message(client):
    agent = AgentFactory()
    created = problem(actor=agent)
    one = incident(actor=agent)
    signed_in(client, agent)
    response = client.post(f"/problems/{created.number}/incidents/{one.pk}/unlink/", follow=True)
    assert "not linked" in response.content.decode()
