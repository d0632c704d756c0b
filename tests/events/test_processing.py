"""Rules, silences, flapping and correlation through the CMDB graph."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.choices import EventState, RuleAction
from events.models import Event, EventRule, Silence
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tests.catalogue.factories import ServiceFactory
from tests.events.conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


def test_a_core_switch_failure_makes_one_incident_with_child_events(
    make_source, post_alerts, network, settings
):
    settings.EVENTS_MAJOR_INCIDENT_CHILDREN = 3
    source = make_source()
    post_alerts(source, am_payload(am_alert("core-sw1", "SwitchDown")))
    post_alerts(source, am_payload(*(am_alert(f"web{i}") for i in (1, 2, 3))))
    root = Event.objects.get(host="core-sw1")
    children = Event.objects.filter(parent=root)
    assert {e.host for e in children} == {"web1", "web2", "web3"}
    assert Incident.objects.count() == 1
    assert not children.filter(incident__isnull=False).exists()
    root.incident.refresh_from_db()
    assert root.incident.major_incident  # a major-incident candidate
    # db1 does not depend on the switch: an incident of its own.
    post_alerts(source, am_payload(am_alert("db1")))
    assert Incident.objects.count() == 2


def test_a_storm_behind_a_switch_is_correlated_in_a_few_queries_whatever_its_size(
    make_source, post_alerts, network, network_team, django_assert_max_num_queries
):
    """The worker decides the storm's events a chunk at once: the same parents as one at a
    time, in a number of queries that does not grow with the hosts."""
    from tests.cmdb.factories import make_ci, relate

    hosts = []
    for i in range(40):
        host = make_ci(f"storm{i:02d}", "network_device", support_group=network_team,
                       attributes={"ip_address": f"10.1.0.{i}"})  # fmt: skip
        relate(host, network["core-sw1"])
        hosts.append(host)
    source = make_source()
    post_alerts(source, am_payload(am_alert("core-sw1", "SwitchDown")))
    root = Event.objects.get(host="core-sw1")
    # Half the hosts by name, half by their address (a CMDB attribute), two alerts each.
    alerts = [
        am_alert(host.name if i % 2 else f"10.1.0.{i}", name)
        for i, host in enumerate(hosts) for name in ("HostDown", "DiskFull")
    ]  # fmt: skip
    with django_assert_max_num_queries(60):  # one at a time: about 9 per event, 720
        post_alerts(source, am_payload(*alerts))
    children = Event.objects.filter(parent=root)
    assert children.count() == 80
    assert {event.configuration_item_id for event in children} == {host.pk for host in hosts}
    assert not children.filter(incident__isnull=False).exists()
    assert not Event.objects.filter(processing="pending").exists()
    assert Incident.objects.count() == 1
    root.incident.refresh_from_db()
    assert root.incident.major_incident
    # The recovery: the children (no incident of their own) are decided with the chunk.
    cleared = [{**alert, "status": "resolved"} for alert in alerts]
    with django_assert_max_num_queries(40):
        post_alerts(source, am_payload(*cleared, status="resolved"))
    assert not children.exclude(state=EventState.RESOLVED).exists()
    assert not Event.objects.filter(processing="pending").exists()
    post_alerts(source, am_payload(am_alert("core-sw1", "SwitchDown", status="resolved")))
    root.incident.refresh_from_db()
    assert root.incident.status == IncidentStatus.RESOLVED


def test_alerts_that_arrive_before_their_root_are_adopted_under_it(
    make_source, post_alerts, network
):
    source = make_source()
    post_alerts(source, am_payload(am_alert("web1")))
    child_incident = Event.objects.get(host="web1").incident
    post_alerts(source, am_payload(am_alert("core-sw1", "SwitchDown")))
    root = Event.objects.get(host="core-sw1")
    assert Event.objects.get(host="web1").parent == root
    child_incident.refresh_from_db()
    assert child_incident.parent_id == root.incident_id
    # The root recovers: its incident resolves, and the child incident with it.
    post_alerts(source, am_payload(am_alert("core-sw1", "SwitchDown", status="resolved")))
    child_incident.refresh_from_db()
    assert child_incident.status == IncidentStatus.RESOLVED


def test_rules_drop_keep_as_information_and_rate(make_source, post_alerts, network, network_team):
    source = make_source()
    EventRule.objects.create(name="Ignore test", order=1, action=RuleAction.DROP,
                             label_matchers={"alertname": "Watchdog"})  # fmt: skip
    EventRule.objects.create(name="Disk is info", order=2, action=RuleAction.INFO,
                             host_pattern="web2")  # fmt: skip
    EventRule.objects.create(name="Low web3", order=3, impact="low", urgency="low",
                             host_pattern="web3", support_group=network_team)  # fmt: skip
    post_alerts(source, am_payload(am_alert("web1", "Watchdog"), am_alert("web2"),
                                   am_alert("web3")))  # fmt: skip
    states = dict(Event.objects.values_list("host", "state"))
    assert states == {"web1": EventState.DROPPED, "web2": EventState.INFO,
                      "web3": EventState.OPEN}  # fmt: skip
    incident = Incident.objects.get()
    assert (incident.impact, incident.urgency) == ("low", "low")
    assert Event.objects.get(host="web3").rule.name == "Low web3"


def test_a_rule_maps_the_ci_by_a_label_against_an_attribute(make_source, post_alerts, network):
    source = make_source()
    EventRule.objects.create(name="By IP", order=1, ci_match="label", ci_label="ip",
                             ci_attribute="ip_address")  # fmt: skip
    alert = am_alert("somewhere")
    alert["labels"]["ip"] = "10.0.0.13"
    post_alerts(source, am_payload(alert))
    assert Event.objects.get().configuration_item == network["web3"]


def test_a_silence_on_a_ci_or_labels_holds_back_the_incident(
    make_source, post_alerts, network, manager, settings
):
    source = make_source()
    now = timezone.now()
    Silence.objects.create(comment="Patching", configuration_item=network["web1"],
                           starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))  # fmt: skip
    Silence.objects.create(comment="Noisy", label_matchers={"alertname": "Cpu.*"},
                           starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))  # fmt: skip
    post_alerts(source, am_payload(am_alert("web1"), am_alert("web2", "CpuHigh")))
    assert set(Event.objects.values_list("state", flat=True)) == {EventState.SILENCED}
    assert not Incident.objects.exists()


def test_the_maintenance_hook_silences_alerts_on_its_cis(
    make_source, post_alerts, network, settings
):
    settings.EVENTS_MAINTENANCE_HOOK = "tests.events.test_processing.web2_in_maintenance"
    source = make_source()
    post_alerts(source, am_payload(am_alert("web2"), am_alert("web3")))
    assert dict(Event.objects.values_list("host", "state")) == {
        "web2": EventState.SILENCED, "web3": EventState.OPEN}  # fmt: skip


def web2_in_maintenance(*, ci, at):
    return ci.name == "web2"


def test_the_change_calendar_silences_alerts_on_cis_being_worked_on(
    make_source, post_alerts, network
):
    """The default hook reads the change calendar: web1 is in a change being implemented now,
    web2 in a change scheduled for later, web3's service is in its maintenance window, db1's
    service has a window that is over."""
    from changes.choices import ChangeStatus
    from changes.models import Change, MaintenanceWindow
    from tests.changes.factories import PLANS, people, raise_change

    _manager, owner, _cab = people()
    now = timezone.now()
    started = {
        "planned_start": now - timedelta(minutes=30),
        "planned_end": now + timedelta(hours=1),
    }
    later = {
        "planned_start": now + timedelta(days=1),
        "planned_end": now + timedelta(days=1, hours=1),
    }
    working = raise_change(owner, **PLANS, configuration_items=[network["web1"]])
    planned = raise_change(owner, **PLANS, configuration_items=[network["web2"]])
    # The workflow that brings a change to these states is the change tests'; here, the data.
    Change.objects.filter(pk=working.pk).update(status=ChangeStatus.IMPLEMENTING, **started)
    Change.objects.filter(pk=planned.pk).update(status=ChangeStatus.SCHEDULED, **later)
    web, database = ServiceFactory(name="Web shop"), ServiceFactory(name="Orders database")
    for name, service in (("web3", web), ("db1", database)):
        network[name].service = service
        network[name].save(update_fields=["service"])
    MaintenanceWindow.objects.create(name="Tuesday patching", service=web,
                                     starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2))  # fmt: skip
    MaintenanceWindow.objects.create(name="Last week", service=database,
                                     starts_at=now - timedelta(days=7), ends_at=now - timedelta(days=7, hours=-2))  # fmt: skip
    source = make_source()
    post_alerts(source, am_payload(*(am_alert(host) for host in ("web1", "web2", "web3", "db1"))))
    assert dict(Event.objects.values_list("host", "state")) == {
        "web1": EventState.SILENCED, "web2": EventState.OPEN,
        "web3": EventState.SILENCED, "db1": EventState.OPEN}  # fmt: skip
    assert set(Incident.objects.values_list("configuration_item__name", flat=True)) <= {
        "web2",
        "db1",
    }


def test_a_flapping_alert_is_held_until_stable(make_source, post_alerts, network, settings):
    settings.EVENTS_FLAP_COUNT = 2
    source = make_source()
    now = timezone.now()
    for minute in range(2):
        starts = (now - timedelta(minutes=10 - minute)).isoformat()
        ends = (now - timedelta(minutes=9 - minute)).isoformat()
        post_alerts(source, am_payload(am_alert("web1", starts=starts)))
        post_alerts(source, am_payload(am_alert("web1", starts=starts, ends=ends,
                                                status="resolved")))  # fmt: skip
    assert Incident.objects.count() == 2
    post_alerts(source, am_payload(am_alert("web1", starts=now.isoformat())))
    held = Event.objects.get(state__in=[EventState.HELD])
    assert Incident.objects.count() == 2
    assert services.events_release_held() == 0  # not stable yet
    later = timezone.now() + timedelta(minutes=settings.EVENTS_FLAP_MINUTES + 1)
    Event.objects.filter(pk=held.pk).update(first_seen_at=later - timedelta(minutes=31))
    assert services.events_release_held(now=later) == 1
    held.refresh_from_db()
    assert held.state == EventState.OPEN and held.incident_id is not None


def test_an_event_with_no_support_group_is_kept_failed_and_retried(make_source, post_alerts, db):
    source = make_source()
    post_alerts(source, am_payload(am_alert("unknown-host")))
    event = Event.objects.get()
    assert event.processing == "failed" and "support group" in event.error
    assert not Incident.objects.exists()


def test_retention_prunes_old_resolved_events(make_source, post_alerts, network, settings):
    source = make_source()
    post_alerts(source, am_payload(am_alert("web1")))
    post_alerts(source, am_payload(am_alert("web1", status="resolved")))
    post_alerts(source, am_payload(am_alert("web2")))
    later = timezone.now() + timedelta(days=settings.EVENTS_RETENTION_DAYS + 1)
    assert services.events_prune(now=later) == 1
    assert list(Event.objects.values_list("host", flat=True)) == ["web2"]
