"""Event management's fixtures: a source per kind with its token, a support group, CIs on a
small network (a core switch, servers behind it), and a client posting as a source."""

import json

import pytest

from accounts.roles import Role
from events.choices import SourceKind
from events.models import AlertSource
from servicedesk.actors import system_actor
from tests.cmdb.factories import make_ci, relate
from tests.factories import SupportGroupFactory

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def network_team(db, make_user):
    group = SupportGroupFactory(name="Network")
    member = make_user(Role.AGENT, full_name="Nina Network")
    group.members.add(member)
    return group


@pytest.fixture
def make_source(db):
    def make(kind: str = SourceKind.ALERTMANAGER, name: str | None = None) -> AlertSource:
        source = AlertSource(name=name or kind, kind=kind)
        source.set_token(TOKEN)
        source.save()
        return source

    return make


@pytest.fixture
def network(db, network_team):
    """core-sw1 <- web1..web3 (they depend on it), and db1 on its own, all owned by Network."""
    switch = make_ci("core-sw1", "network_device", support_group=network_team,
                     attributes={})  # fmt: skip
    servers = {}
    for name, address in (("web1", "10.0.0.11"), ("web2", "10.0.0.12"), ("web3", "10.0.0.13")):
        servers[name] = make_ci(name, "network_device", support_group=network_team,
                                attributes={"ip_address": address})  # fmt: skip
        relate(servers[name], switch)
    servers["db1"] = make_ci("db1", "network_device", support_group=network_team)
    return {"core-sw1": switch, **servers}


@pytest.fixture
def post_alerts(client, django_capture_on_commit_callbacks):
    """Post as a source; the work queued after the commit (the eager worker) runs."""

    def post(source: AlertSource, payload, token: str = TOKEN):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/events/inbound/{source.name}/", data=json.dumps(payload),
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
            )  # fmt: skip

    return post


def am_alert(host: str, name: str = "HostDown", status: str = "firing", *,
             starts: str = "2026-12-02T10:00:00Z", ends: str = "0001-01-01T00:00:00Z",
             severity: str = "critical", fingerprint: str | None = None) -> dict:  # fmt: skip
    return {
        "status": status,
        "labels": {"alertname": name, "instance": f"{host}:9100", "severity": severity},
        "annotations": {"summary": f"{host} is down"},
        "startsAt": starts,
        "endsAt": ends if status == "firing" or ends[:4] != "0001" else "2026-12-02T10:30:00Z",
        "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint or f"fp-{host}-{name}",
    }  # fmt: skip


def am_payload(*alerts: dict, status: str = "firing") -> dict:
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status,
            "receiver": "servicedesk", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": list(alerts)}  # fmt: skip


__all__ = ["TOKEN", "am_alert", "am_payload", "system_actor"]
