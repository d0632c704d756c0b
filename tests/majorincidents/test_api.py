"""/api/v1/status/ and /api/v1/major-incidents/{number}/updates/: the house shape, strict input,
400 naming the field, 404 for what one may not see."""

import pytest
from rest_framework.test import APIClient

from majorincidents.models import StatusUpdate

pytestmark = pytest.mark.django_db


def test_an_agent_posts_and_lists_updates(desk):
    client = APIClient()
    client.force_authenticate(desk["agent"])
    url = f"/api/v1/major-incidents/{desk['major'].number}/updates/"
    answer = client.post(url, {"text": "Restoring.", "health": "major_outage"}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["recipients"] == 2 and answer.json()["service"] == "Payroll"
    assert [row["text"] for row in client.get(url).json()] == ["Restoring."]

    bad = client.post(url, {"text": "x", "health": "broken", "colour": "red"}, format="json")
    assert bad.status_code == 400
    assert "colour" in bad.content.decode() or "health" in bad.content.decode()
    assert client.post("/api/v1/major-incidents/INC9999999/updates/", {}).status_code == 404
    assert StatusUpdate.objects.count() == 1


def test_end_users_read_status_but_not_the_room(desk):
    client = APIClient()
    client.force_authenticate(desk["users"][0])
    url = f"/api/v1/major-incidents/{desk['major'].number}/updates/"
    assert client.post(url, {"text": "x", "health": "degraded"}, format="json").status_code == 403
    rows = client.get("/api/v1/status/").json()
    assert {"id": desk["payroll"].pk, "name": "Payroll", "health": "operational"} in rows
    page = client.get(f"/api/v1/status/{desk['payroll'].pk}/").json()
    assert page["uptime"] == 100.0 and page["current"] == []
    assert APIClient().get("/api/v1/status/").status_code == 401
