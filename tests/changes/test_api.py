"""/api/v1/changes/: the kernel's API shape for changes (filters, keyset cursor, version 409,
actions, links, timeline), visibility (end users: 404) and the OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from changes.choices import ChangeStatus as S
from changes.models import Change, StandardChangeTemplate
from servicedesk.approvals.services import approval_decide
from servicedesk.models import ApprovalSet
from tests.changes.factories import PLANS, people, questionnaire, raise_change, window
from tests.cmdb.factories import make_ci

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def team():
    return people()


def test_an_agent_raises_a_change_with_cis_and_the_list_filters_it(team):
    manager, owner, _cab = team
    db = make_ci("db-01")
    api = client_for(owner)
    answer = api.post(
        "/api/v1/changes/",
        {"title": "Patch db-01", "configuration_items": [db.pk], **PLANS},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["number"].startswith("CHG")
    assert body["configuration_items"] == [{"id": db.pk, "name": "db-01"}]
    assert answer["Location"].endswith(f"/api/v1/changes/{body['number']}/")
    raise_change(owner, title="Another")
    listed = api.get("/api/v1/changes/", {"configuration_item": db.pk}).json()
    assert [row["number"] for row in listed["results"]] == [body["number"]]
    assert api.get("/api/v1/changes/", {"nonsense": "1"}).status_code == 400


def test_the_list_pages_by_keyset_cursor(team):
    manager, owner, _cab = team
    for n in range(3):
        raise_change(owner, title=f"Change {n}")
    api = client_for(owner)
    first = api.get("/api/v1/changes/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    assert [r["title"] for r in second["results"]] == ["Change 0"]


def test_end_users_see_no_change(team, end_user):
    manager, owner, _cab = team
    change = raise_change(owner)
    api = client_for(end_user)
    assert api.get("/api/v1/changes/").json()["results"] == []
    assert api.get(f"/api/v1/changes/{change.number}/").status_code == 404
    assert api.get(f"/api/v1/changes/{change.number}/timeline/").status_code == 404
    assert api.post(f"/api/v1/changes/{change.number}/cancel/", {"note": "x"}).status_code == 404
    assert api.post("/api/v1/changes/", {"title": "x"}, format="json").status_code == 403


def test_a_stale_edit_is_a_409_and_changes_nothing(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    api = client_for(owner)
    url = f"/api/v1/changes/{change.number}/"
    assert (
        api.patch(url, {"risks": "Some", "version": change.version}, format="json").status_code
        == 200
    )
    stale = api.patch(url, {"risks": "Other", "version": change.version}, format="json")
    assert stale.status_code == 409
    assert Change.objects.get(pk=change.pk).risks == "Some"


def test_the_workflow_through_the_api(team):
    manager, owner, cab = team
    answers = questionnaire()["high"]
    change = raise_change(owner, **PLANS, **window())
    api = client_for(owner)
    base = f"/api/v1/changes/{change.number}"
    assert api.post(f"{base}/take/", {}, format="json").json()["assignee"]["id"] == owner.pk
    refused = api.post(f"{base}/submit/", {}, format="json")
    assert refused.status_code == 409
    assert "risk questionnaire" in refused.json()["detail"]
    risk = api.post(f"{base}/risk/", {"answers": answers}, format="json")
    assert risk.status_code == 200 and risk.json()["risk_level"] == "high"
    assert api.post(f"{base}/submit/", {}, format="json").json()["status"] == S.ASSESSED
    approvals = ApprovalSet.objects.get(object_id=change.pk).approvals.order_by("pk")
    for approval, member in zip(approvals[:2], cab[:2], strict=True):
        approval_decide(approval_id=approval.pk, actor=member, approve=True, comment="Yes")
    assert api.post(f"{base}/schedule/", {}, format="json").json()["status"] == S.SCHEDULED
    assert api.post(f"{base}/implement/", {}, format="json").json()["status"] == S.IMPLEMENTING
    assert api.post(f"{base}/complete/", {}, format="json").json()["status"] == S.REVIEW
    closing = api.post(f"{base}/transition/", {"target": "closed", "outcome": "successful"},
                       format="json")  # fmt: skip
    assert closing.status_code == 409
    review = {"outcome": "successful", "objectives_met": True, "lessons": "All fine."}
    assert api.post(f"{base}/review/", review, format="json").status_code == 200
    closed = api.post(f"{base}/transition/", {"target": "closed"}, format="json").json()
    assert (closed["status"], closed["outcome"]) == ("closed", "successful")
    timeline = api.get(f"{base}/timeline/").json()
    assert len(timeline) > 10  # created, the answers, each move, the approvals, the review


def test_a_standard_change_from_its_template(team):
    manager, owner, _cab = team
    template = StandardChangeTemplate.objects.create(name="Restart a web node", **PLANS)
    answer = client_for(owner).post(
        "/api/v1/changes/", {"title": "Restart web-3", "template": template.pk}, format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["change_type"] == "standard"
    assert answer.json()["backout_plan"] == PLANS["backout_plan"]


def test_changes_are_linked_through_the_kernels_links(team):
    manager, owner, _cab = team
    change = raise_change(owner)
    other = raise_change(owner, title="The earlier attempt")
    api = client_for(owner)
    linked = api.post(
        "/api/v1/links/",
        {"source": change.number, "target": other.number, "kind": "related_to"},
        format="json",
    )
    assert linked.status_code == 201, linked.json()
    rows = api.get("/api/v1/links/", {"record": change.number}).json()
    assert [row["number"] for row in rows] == [other.number]


def test_the_schema_lists_the_change_endpoints(team):
    manager, owner, _cab = team
    schema = client_for(owner).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/changes/" in paths
    assert "/api/v1/changes/{number}/submit/" in paths
    assert "409" in paths["/api/v1/changes/{number}/"]["patch"]["responses"]
