"""The endpoints: a token per source, clear 400s with nothing stored, idempotent on the
source's ids, repeats counted on one event and one incident."""

import pytest

from events.choices import EventState, SourceKind
from events.models import Event, Receipt
from incidents.choices import Channel, IncidentStatus, ResolutionCode
from incidents.models import Incident
from servicedesk.actors import system_actor
from tests.events.conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


def test_a_wrong_token_or_unknown_source_is_a_401_and_nothing_is_stored(make_source, post_alerts):
    source = make_source()
    assert post_alerts(source, am_payload(am_alert("web1")), token="nope").status_code == 401
    source.name = "nobody"
    assert post_alerts(source, am_payload(am_alert("web1"))).status_code == 401
    assert not Event.objects.exists()


def test_bad_input_is_a_400_naming_the_field_and_nothing_half_saved(make_source, post_alerts):
    source = make_source()
    answer = post_alerts(source, am_payload(am_alert("web1"), {"status": "firing", "labels": {}}))
    assert answer.status_code == 400
    body = answer.json()
    assert "alerts[1].labels.alertname" in body["errors"]
    assert not Event.objects.exists() and not Receipt.objects.exists()
    answer = post_alerts(source, "not an object")
    assert answer.status_code == 400


def test_firing_alert_opens_one_incident_as_the_system_actor(make_source, post_alerts, network):
    source = make_source()
    answer = post_alerts(source, am_payload(am_alert("web1")))
    assert answer.status_code == 202 and answer.json()["created"] == 1
    event = Event.objects.get()
    assert event.configuration_item == network["web1"]
    incident = event.incident
    assert incident.channel == Channel.MONITORING
    assert incident.requester == system_actor()
    assert incident.impact == "high" and incident.urgency == "high"
    assert incident.support_group.name == "Network"
    assert incident.outage_started_at == event.first_seen_at


def test_the_same_notification_twice_is_taken_once(make_source, post_alerts, network):
    source = make_source()
    post_alerts(source, am_payload(am_alert("web1")))
    again = post_alerts(source, am_payload(am_alert("web1")))
    assert again.json() == {"created": 0, "updated": 0, "resolved": 0, "duplicates": 1}
    assert Event.objects.get().count == 1


def test_repeats_update_one_event_and_one_incident_not_the_timeline(
    make_source, post_alerts, network, agent, client
):
    source = make_source()
    for minute in range(4):
        post_alerts(source, am_payload(am_alert("web1", starts=f"2026-12-02T10:0{minute}:00Z")))
    event = Event.objects.get()
    assert event.count == 4
    assert Incident.objects.count() == 1
    incident = event.incident
    from servicedesk.models import Comment

    assert not Comment.objects.filter(object_id=incident.pk).exists()
    client.force_login(agent)
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "fired 4×" in page


def test_recovery_resolves_the_incident_with_code_recovered(make_source, post_alerts, network):
    source = make_source()
    post_alerts(source, am_payload(am_alert("web1")))
    post_alerts(source, am_payload(am_alert("web1", status="resolved"), status="resolved"))
    event = Event.objects.get()
    assert event.state == EventState.RESOLVED
    incident = Incident.objects.get(pk=event.incident_id)
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution_code == ResolutionCode.RECOVERED
    assert incident.outage_ended_at == event.resolved_at
    # The next firing is a new event, a new incident.
    post_alerts(source, am_payload(am_alert("web1", starts="2026-12-02T11:00:00Z")))
    assert Event.objects.count() == 2 and Incident.objects.count() == 2


def test_recovery_of_an_incident_an_agent_took_tells_the_agent(
    make_source, post_alerts, network, network_team, mailoutbox
):
    from incidents import services as incidents

    source = make_source()
    post_alerts(source, am_payload(am_alert("web1")))
    incident = Event.objects.get().incident
    nina = network_team.members.get()
    incidents.incident_take(incident_id=incident.pk, actor=nina)
    mailoutbox.clear()
    post_alerts(source, am_payload(am_alert("web1", status="resolved"), status="resolved"))
    incident.refresh_from_db()
    assert incident.status != IncidentStatus.RESOLVED
    assert incident.outage_ended_at is not None
    assert [m.to for m in mailoutbox] == [[nina.email]]
    assert "recover" in mailoutbox[0].subject.lower()


@pytest.mark.parametrize("kind, fired, cleared", [
    (SourceKind.ZABBIX,
     {"event_id": "1", "event_value": "1", "host_name": "web2", "trigger_id": "9",
      "event_name": "Web down", "event_nseverity": "4"},
     {"event_id": "1", "event_value": "0", "host_name": "web2", "trigger_id": "9",
      "event_name": "Web down", "event_nseverity": "4"}),
    (SourceKind.NAGIOS,
     {"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "web2", "HOSTSTATE": "DOWN",
      "HOSTPROBLEMID": "5", "HOSTADDRESS": "10.0.0.12"},
     {"NOTIFICATIONTYPE": "RECOVERY", "HOSTNAME": "web2", "HOSTSTATE": "UP",
      "HOSTPROBLEMID": "0", "LASTHOSTPROBLEMID": "5"}),
    (SourceKind.GENERIC,
     {"alerts": [{"id": "x", "status": "firing", "host": "10.0.0.12", "severity": "critical",
                  "summary": "down"}]},
     {"alerts": [{"id": "x", "status": "resolved", "host": "10.0.0.12"}]}),
])  # fmt: skip
def test_every_source_opens_and_resolves(make_source, post_alerts, network, kind, fired, cleared):
    source = make_source(kind)
    assert post_alerts(source, fired).status_code == 202
    event = Event.objects.get()
    assert event.configuration_item == network["web2"]  # by name, or by its IP attribute
    post_alerts(source, cleared)
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED


def test_intake_asks_a_worker_once_until_the_worker_starts(make_source, post_alerts, monkeypatch):
    """A stream of requests queues one processing task, not one each: the queued task reads
    every event committed before it starts; once it has started, the next commit asks again."""
    from django.core.cache import cache

    from events import services
    from events.services import ingest

    queued = []
    monkeypatch.setattr(ingest, "enqueue", lambda task: queued.append(task.name) or True)
    cache.delete(ingest.KICK_QUEUED)
    source = make_source()
    post_alerts(source, am_payload(am_alert("web1")))
    post_alerts(source, am_payload(am_alert("web2")))
    assert queued == ["events.tasks.process_events_task"]
    assert services.events_process_pending() == 2  # the worker starts: both are its
    post_alerts(source, am_payload(am_alert("web3")))
    assert len(queued) == 2
    # A broker that refused the task leaves no flag behind: the next commit asks again.
    monkeypatch.setattr(ingest, "enqueue", lambda task: queued.append(task.name) and False)
    services.events_process_pending()
    post_alerts(source, am_payload(am_alert("web4")))
    post_alerts(source, am_payload(am_alert("web5")))
    assert len(queued) == 4
