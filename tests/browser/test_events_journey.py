"""The event console in a real browser: an agent finds an alert from monitoring, acknowledges
an informational one, opens an incident for it by hand, and sees the correlated events of a
switch's alert on its page."""

import json

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.roles import Role
from events.choices import RuleAction, SourceKind
from events.models import AlertSource, Event, EventRule
from tests.browser.conftest import sign_in
from tests.cmdb.factories import make_ci, relate
from tests.factories import PASSWORD, SupportGroupFactory


def _am(host, name="HostDown", severity="critical"):
    return {"status": "firing", "startsAt": "2026-12-02T10:00:00Z",
            "labels": {"alertname": name, "instance": f"{host}:9100", "severity": severity},
            "annotations": {"summary": f"{host}: {name}"}, "fingerprint": f"{host}-{name}"}  # fmt: skip


@pytest.fixture
def alerts(make_user):
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    group = SupportGroupFactory(name="Network")
    group.members.add(agent)
    switch = make_ci("core-sw1", "network_device", support_group=group)
    for name in ("web1", "web2"):
        relate(make_ci(name, "network_device", support_group=group), switch)
    EventRule.objects.create(name="Disk is info", order=1, action=RuleAction.INFO,
                             label_matchers={"alertname": "DiskLow"})  # fmt: skip
    source = AlertSource(name="prometheus", kind=SourceKind.ALERTMANAGER)
    source.set_token("t0ken")
    source.save()
    client = Client()
    for batch in ([_am("core-sw1", "SwitchDown")], [_am("web1"), _am("web2")],
                  [_am("web1", "DiskLow", "warning")]):  # fmt: skip
        client.post("/events/inbound/prometheus/", data=json.dumps({"version": "4", "alerts": batch}),
                    content_type="application/json", HTTP_AUTHORIZATION="Bearer t0ken")  # fmt: skip
    return agent


def test_an_agent_works_the_event_console(page, live_server, alerts):
    sign_in(page, alerts.email, PASSWORD)
    page.get_by_role("link", name="Events").first.click()
    table = page.locator(".events-table")
    expect(table).to_contain_text("core-sw1: SwitchDown")
    expect(table.locator(".event-child")).to_have_count(2)

    info = table.locator("tr", has_text="web1: DiskLow")
    info.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".message-success")).to_have_text("Event acknowledged.")

    page.locator(".events-table tr", has_text="web1: DiskLow").get_by_role(
        "button", name="Open incident"
    ).click()
    expect(page.locator(".message-success")).to_have_text("Incident opened.")
    assert Event.objects.get(fingerprint="web1-DiskLow").incident is not None

    page.goto(f"/events/{Event.objects.get(host='core-sw1').pk}/")
    expect(page.locator("h2", has_text="Correlated events")).to_be_visible()
    expect(page.get_by_role("link", name="web2")).to_be_visible()
