"""The event console and the events API: agents only (anyone else gets 404/403), filters,
acknowledge, open an incident by hand."""

import pytest

from events.choices import EventState, RuleAction
from events.models import Event, EventRule
from incidents.models import Incident
from tests.events.conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(make_source, post_alerts, network):
    EventRule.objects.create(name="Info", order=1, action=RuleAction.INFO, host_pattern="db1")
    source = make_source()
    post_alerts(source, am_payload(am_alert("web1"), am_alert("db1", severity="warning")))
    return {e.host: e for e in Event.objects.all()}


def test_agents_see_the_console_filtered_and_nobody_else_does(client, agent, end_user, events):
    client.force_login(agent)
    page = client.get("/events/").content.decode()
    assert "web1 is down" in page and "db1 is down" in page
    assert 'href="/events/"' in page  # the navigation's entry
    only = client.get("/events/", {"severity": "warning"}).content.decode()
    assert "db1 is down" in only and "web1 is down" not in only
    assert client.get("/events/", {"state": "bogus"}).status_code == 200
    client.force_login(end_user)
    assert client.get("/events/").status_code in (403, 404)
    assert client.get(f"/events/{events['web1'].pk}/").status_code in (403, 404)


def test_acknowledge_and_open_an_incident_by_hand(client, agent, events):
    client.force_login(agent)
    info = events["db1"]
    assert info.state == EventState.INFO and info.incident_id is None
    client.post(f"/events/{info.pk}/acknowledge/")
    info.refresh_from_db()
    assert info.state == EventState.ACKNOWLEDGED and info.acknowledged_by == agent
    again = client.post(f"/events/{info.pk}/acknowledge/", follow=True)
    assert "acknowledged" in again.content.decode().lower()
    answer = client.post(f"/events/{info.pk}/incident/")
    info.refresh_from_db()
    assert answer.status_code == 302 and info.incident is not None
    assert info.incident.requester == agent
    # Twice is refused, and nothing more is made.
    client.post(f"/events/{info.pk}/incident/")
    assert Incident.objects.count() == 2


def test_the_api_lists_filters_and_acts(client, agent, end_user, events):
    client.force_login(agent)
    rows = client.get("/api/v1/events/", {"severity": "critical"}).json()["results"]
    assert [r["host"] for r in rows] == ["web1"]
    assert rows[0]["incident"].startswith("INC")
    assert client.get("/api/v1/events/", {"colour": "red"}).status_code == 400
    db1 = events["db1"]
    assert client.post(f"/api/v1/events/{db1.pk}/acknowledge/").json()["state"] == "acknowledged"
    assert client.post(f"/api/v1/events/{db1.pk}/acknowledge/").status_code == 409
    assert client.post(f"/api/v1/events/{db1.pk}/incident/").json()["incident"].startswith("INC")
    client.force_login(end_user)
    assert client.get("/api/v1/events/").status_code == 403
    assert client.get(f"/api/v1/events/{db1.pk}/").status_code == 403
