"""/api/v1/dashboards/: the pages' panels for integrations, with the same filters and refusals."""

import pytest

from accounts.roles import Role
from tests.dashboards.fixtures import build_month

pytestmark = pytest.mark.django_db

MARCH = {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"}


def test_panels_over_the_api_match_the_page(client, manager):
    month = build_month()
    client.force_login(manager)
    assert "sla_summary" in client.get("/api/v1/dashboards/").json()["panels"]
    data = client.get("/api/v1/dashboards/sla_summary/", MARCH).json()
    assert [row["compliance"] for row in data["rows"]] == [87.5, 87.5]
    assert data["scope"]["start"] == "2025-03-01"
    kpis = client.get("/api/v1/dashboards/kpis/", {**MARCH, "group": month["group_b"].pk}).json()
    fcr = next(row for row in kpis["rows"] if row["kpi"] == "First-contact resolution")
    assert fcr["value"] == 0.0


def test_api_refusals(client, make_user):
    client.force_login(make_user(Role.AGENT))
    assert client.get("/api/v1/dashboards/sla_summary/").status_code == 403
    client.logout()
    assert client.get("/api/v1/dashboards/sla_summary/").status_code in (401, 403)
    client.force_login(make_user(Role.DESK_MANAGER))
    response = client.get("/api/v1/dashboards/sla_summary/", {"period": "custom"})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and "start" in body["errors"]
    assert client.get("/api/v1/dashboards/nothing/").status_code == 404
