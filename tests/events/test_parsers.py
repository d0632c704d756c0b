"""Each source's payload read into alerts; what is wrong refused whole, naming the field."""

import pytest

from events.parsers import (
    AlertsInvalid,
    parse_alertmanager,
    parse_generic,
    parse_nagios,
    parse_zabbix,
)
from tests.events.conftest import am_alert, am_payload


def test_alertmanager_groups_are_read_alert_by_alert_with_host_without_port():
    alerts = parse_alertmanager(am_payload(am_alert("web1"), am_alert("web2", status="resolved")))
    assert [(a.host, a.status, a.severity) for a in alerts] == [
        ("web1", "firing", "critical"),
        ("web2", "resolved", "critical"),
    ]
    assert alerts[0].ends_at is None  # year 1 means "not ended"
    assert alerts[1].ends_at is not None
    assert (
        alerts[0].key
        != parse_alertmanager(am_payload(am_alert("web1", starts="2026-12-02T11:00:00Z")))[0].key
    )  # noqa: E501


def test_alertmanager_refuses_what_is_not_an_alert_group():
    with pytest.raises(AlertsInvalid) as caught:
        parse_alertmanager({"version": "4", "alerts": [{"status": "burning", "labels": {}}]})
    assert set(caught.value.errors) == {"alerts[0].status", "alerts[0].labels.alertname",
                                        "alerts[0].startsAt"}  # fmt: skip
    with pytest.raises(AlertsInvalid):
        parse_alertmanager({"alerts": []})
    with pytest.raises(AlertsInvalid):
        parse_alertmanager([1, 2])


def test_zabbix_problem_and_recovery_share_a_fingerprint():
    problem = {"event_id": "901", "event_value": "1", "host_name": "db1", "host_ip": "10.0.0.5",
               "trigger_id": "77", "event_name": "MySQL is down", "event_nseverity": "5",
               "event_date": "2026.12.02", "event_time": "10:00:00",
               "event_tags": '[{"tag": "service", "value": "erp"}]'}  # fmt: skip
    recovery = {**problem, "event_value": "0", "event_recovery_date": "2026.12.02",
                "event_recovery_time": "10:20:00"}  # fmt: skip
    (fired,), (cleared,) = parse_zabbix(problem), parse_zabbix(recovery)
    assert fired.status == "firing" and cleared.status == "resolved"
    assert fired.fingerprint == cleared.fingerprint and fired.key != cleared.key
    assert fired.severity == "critical" and fired.labels["service"] == "erp"
    assert cleared.ends_at.minute == 20


def test_zabbix_names_missing_parameters():
    with pytest.raises(AlertsInvalid) as caught:
        parse_zabbix({"event_value": "7", "event_tags": "{not json"})
    assert {"event_id", "host_name", "event_name", "event_value", "event_tags"} <= set(
        caught.value.errors
    )


def test_nagios_macros_with_icinga_prefix_and_recovery():
    problem = {"ICINGA_NOTIFICATIONTYPE": "PROBLEM", "ICINGA_HOSTNAME": "web1",
               "ICINGA_SERVICEDESC": "HTTP", "ICINGA_SERVICESTATE": "CRITICAL",
               "ICINGA_SERVICEOUTPUT": "Connection refused", "ICINGA_SERVICEPROBLEMID": "42",
               "ICINGA_TIMET": "1796205600"}  # fmt: skip
    recovery = {**problem, "ICINGA_NOTIFICATIONTYPE": "RECOVERY", "ICINGA_SERVICESTATE": "OK",
                "ICINGA_SERVICEPROBLEMID": "0", "ICINGA_LASTSERVICEPROBLEMID": "42"}  # fmt: skip
    (fired,), (cleared,) = parse_nagios(problem), parse_nagios(recovery)
    assert (fired.status, fired.severity, fired.summary) == ("firing", "critical",
                                                             "Connection refused")  # fmt: skip
    assert cleared.status == "resolved" and cleared.fingerprint == fired.fingerprint
    assert cleared.labels["problem_id"] == "42"


def test_nagios_and_generic_refusals_name_the_field():
    with pytest.raises(AlertsInvalid) as caught:
        parse_nagios({"NOTIFICATIONTYPE": "HELLO"})
    assert {"NOTIFICATIONTYPE", "HOSTNAME", "HOSTSTATE"} <= set(caught.value.errors)
    with pytest.raises(AlertsInvalid) as caught:
        parse_generic({"alerts": [{"status": "firing", "severity": "apocalyptic",
                                   "started_at": "yesterday"}]})  # fmt: skip
    assert set(caught.value.errors) == {"alerts[0].host", "alerts[0].severity",
                                        "alerts[0].started_at"}  # fmt: skip


def test_generic_single_alert_object():
    (alert,) = parse_generic({"id": "a-1", "status": "firing", "host": "web1",
                              "service": "disk", "severity": "major", "summary": "Disk 95%"})  # fmt: skip
    assert (alert.host, alert.service_name, alert.severity) == ("web1", "disk", "major")
