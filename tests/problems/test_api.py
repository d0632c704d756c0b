"""/api/v1/problems/: list with filters and keyset cursors, raise from incidents, edit with
the version (409 when stale), the workflow's refusals, links, conversation and timeline."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from problems.models import Problem
from tests.factories import UserFactory
from tests.incidents.factories import AgentFactory, incident
from tests.problems.factories import ROOT_CAUSE, WORKAROUND, ProblemManagerFactory, problem

pytestmark = pytest.mark.django_db
LIST = "/api/v1/problems/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_agent_raises_a_problem_from_incidents_by_number():
    agent = AgentFactory()
    incidents = [incident(actor=agent, title="Mail bounces") for _ in range(2)]
    response = client_for(agent).post(
        LIST,
        {"title": "Mail relay rejects", "impact": "high", "urgency": "high",
         "incidents": [i.number for i in incidents]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("PRB") and body["priority"] == 1
    assert response["Location"].endswith(f"/api/v1/problems/{body['number']}/")
    linked = client_for(agent).get(f"{LIST}{body['number']}/incidents/").json()
    assert [row["number"] for row in linked] == [i.number for i in incidents]
    links = client_for(agent).get(f"{LIST}{body['number']}/links/").json()
    assert {row["label"] for row in links} == {"causes"}


def test_an_unknown_incident_is_a_400_and_nothing_is_saved():
    agent = AgentFactory()
    response = client_for(agent).post(
        LIST, {"title": "x", "incidents": ["INC9999999"]}, format="json"
    )
    assert response.status_code == 400
    assert "incidents" in response.json()["errors"]
    assert not Problem.objects.exists()


def test_end_users_get_404_and_an_empty_list(end_user):
    created = problem()
    client = client_for(end_user)
    assert client.get(f"{LIST}{created.number}/").status_code == 404
    assert client.get(LIST).json()["results"] == []
    assert client.post(f"{LIST}{created.number}/comments/", {"body": "hi"}).status_code == 404
    assert client.post(LIST, {"title": "x"}, format="json").status_code == 403


def test_a_stale_version_is_a_409_and_changes_nothing():
    manager = ProblemManagerFactory()
    created = problem(actor=manager)
    client = client_for(manager)
    url = f"{LIST}{created.number}/"
    ok = client.patch(url, {"version": created.version, "title": "Renamed"}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == created.version + 1
    stale = client.patch(url, {"version": created.version, "title": "Again"}, format="json")
    assert stale.status_code == 409
    created.refresh_from_db()
    assert created.title == "Renamed"


def test_the_workflow_refuses_with_409_and_a_reason_and_agents_get_403():
    manager, agent = ProblemManagerFactory(), AgentFactory()
    created = problem(actor=manager)
    url = f"{LIST}{created.number}/transition/"
    refused = client_for(manager).post(url, {"target": "known_error"}, format="json")
    assert refused.status_code == 409
    assert "root cause" in refused.json()["detail"]
    client_for(manager).patch(
        f"{LIST}{created.number}/",
        {"version": created.version, "root_cause": ROOT_CAUSE, "workaround": WORKAROUND,
         "rca_method": "five_whys", "rca_data": {"five_whys": ["a", "b"]}},
        format="json",
    )  # fmt: skip
    assert client_for(agent).post(url, {"target": "known_error"}, format="json").status_code == 403
    done = client_for(manager).post(url, {"target": "known_error"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "known_error"
    assert done.json()["rca_data"]["five_whys"][:2] == ["a", "b"]


def test_the_list_filters_and_walks_by_cursor():
    agent = AgentFactory()
    for n in range(5):
        problem(actor=agent, title=f"Problem {n}", impact="high" if n % 2 else "low")
    client = client_for(agent)
    seen, url = [], f"{LIST}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == 5 == len(set(seen))
    high = client.get(LIST, {"impact": "high"}).json()["results"]
    assert len(high) == 2
    assert client.get(LIST, {"cursor": "nonsense"}).status_code == 400
    assert client.get(LIST, {"unknown": "1"}).status_code == 400


def test_work_notes_files_and_timeline():
    agent = AgentFactory()
    created = problem(actor=agent)
    client = client_for(agent)
    note = client.post(
        f"{LIST}{created.number}/comments/", {"body": "Captured a dump", "visibility": "internal"}
    )
    assert note.status_code == 201
    timeline = client.get(f"{LIST}{created.number}/timeline/").json()
    assert [entry["kind"] for entry in timeline][-1] == "comment"


def test_link_and_unlink_incidents_through_the_api():
    agent = AgentFactory()
    created = problem(actor=agent)
    one = incident(actor=agent)
    client = client_for(agent)
    linked = client.post(
        f"{LIST}{created.number}/incidents/", {"incidents": [one.number]}, format="json"
    )
    assert [row["number"] for row in linked.json()] == [one.number]
    gone = client.post(
        f"{LIST}{created.number}/incidents/unlink/", {"incident": one.number}, format="json"
    )
    assert gone.status_code == 200 and gone.json() == []
    again = client.post(
        f"{LIST}{created.number}/incidents/unlink/", {"incident": one.number}, format="json"
    )
    assert again.status_code == 400


def test_the_schema_lists_the_problems_api():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    schema = client_for(admin).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/problems/" in paths
    assert "/api/v1/problems/{number}/transition/" in paths
    assert "/api/v1/problems/{number}/incidents/" in paths
