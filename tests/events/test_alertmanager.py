"""A real Alertmanager routes what is pushed into it (its v2 API, as Prometheus does) to the
live test server: the incident is opened once, deduplicated and resolved on recovery.

Without the binary these tests skip with the reason, unless SERVICEDESK_REQUIRE_ALERTMANAGER=1
(as `.ci/run` sets), which makes that a failure."""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from events.choices import EventState, SourceKind
from events.models import AlertSource, Event
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident
from tests.events import alertmanager
from tests.events.conftest import TOKEN

REQUIRED = os.environ.get("SERVICEDESK_REQUIRE_ALERTMANAGER") == "1"


@pytest.fixture(scope="module")
def alertmanager_server(live_server):
    """One Alertmanager for this module's tests, stopped after them: it repeats its groups
    every 2 s, which must not reach the live server during other modules' tests."""
    if alertmanager.binary() is None:
        if REQUIRED:
            pytest.fail("SERVICEDESK_REQUIRE_ALERTMANAGER=1 but prometheus-alertmanager is missing")
        pytest.skip("prometheus-alertmanager is not installed (apt-get install "
                    "prometheus-alertmanager)")  # fmt: skip
    try:
        server = alertmanager.start(webhook_url=f"{live_server.url}/events/inbound/prometheus/",
                                    token=TOKEN)  # fmt: skip
    except RuntimeError as error:
        if REQUIRED:
            pytest.fail(str(error))
        pytest.skip(str(error))
    yield server
    server.stop()


@pytest.fixture
def prometheus_source(transactional_db):
    source = AlertSource(name="prometheus", kind=SourceKind.ALERTMANAGER)
    source.set_token(TOKEN)
    source.save()
    return source


def _alert(host: str, name: str = "HostDown", *, ends: datetime | None = None) -> dict:
    alert = {
        "labels": {"alertname": name, "instance": f"{host}:9100", "severity": "critical",
                   "job": "node"},
        "annotations": {"summary": f"{host} is down"},
        "startsAt": "2026-12-02T09:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
    }  # fmt: skip
    if ends is not None:
        alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    return alert


# A ceiling, not a pace: a quiet machine sees each notification within a few seconds, one
# loaded by other test processes has taken over 20.
def _wait(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("Alertmanager's notification did not arrive in time")


def test_alertmanager_opens_dedupes_and_resolves_an_incident(
    alertmanager_server, prometheus_source, network
):
    alertmanager_server.push(_alert("web1"))
    event = _wait(lambda: Event.objects.filter(host="web1", incident__isnull=False).first())
    assert event.configuration_item == network["web1"]
    # Alertmanager repeats the group every repeat_interval (2 s): the same notification is
    # taken once; the event, its count and its incident stay one.
    alertmanager_server.push(_alert("web1"))
    time.sleep(4.5)
    assert Event.objects.count() == 1 and Incident.objects.count() == 1
    assert Event.objects.get().count == 1
    # Recovery: Prometheus sends the alert with an end in the past.
    alertmanager_server.push(_alert("web1", ends=datetime.now(UTC) - timedelta(seconds=1)))
    _wait(lambda: Event.objects.filter(state=EventState.RESOLVED).exists())
    incident = _wait(lambda: Incident.objects.filter(status=IncidentStatus.RESOLVED).first())
    assert incident.resolution_code == ResolutionCode.RECOVERED
    assert incident.outage_started_at is not None and incident.outage_ended_at is not None


def test_alertmanager_storm_behind_a_switch_is_one_incident(
    alertmanager_server, prometheus_source, network
):
    alertmanager_server.push(_alert("core-sw1", "SwitchDown"))
    _wait(lambda: Event.objects.filter(host="core-sw1", incident__isnull=False).exists())
    alertmanager_server.push(*(_alert(f"web{i}") for i in (1, 2, 3)))
    _wait(lambda: Event.objects.filter(parent__isnull=False).count() == 3)
    assert Incident.objects.count() == 1
