"""Live work in a real browser, in English and in Persian (right to left): an agent's record
page shows, without a reload, that a colleague changed it and what they wrote; the queue's table
refreshes with a new incident and keeps the ticked rows and the filters, the problem queue's
with a new problem; the bell counts what was given to the agent, the list marks it read; the
header's switch makes the agent away."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services
from live.models import Availability
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.problems.factories import problem

FAST = "window.LIVE_POLL_MS = 400;"


@pytest.fixture
def desk(make_user):
    group = SupportGroup.objects.create(name="Service Desk")
    ana = make_user(Role.AGENT, email="ana@example.com", full_name="Ana Agent")
    ben = make_user(Role.AGENT, email="ben@example.com", full_name="Ben Agent")
    group.members.add(ana, ben)
    incident = services.incident_create(
        actor=ana, title="VPN drops", impact="low", urgency="low", support_group=group
    )
    return group, ana, ben, incident


def persian(page, person):
    person.language = "fa"
    person.save(update_fields=["language"])


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_colleagues_change_shows_on_the_record_page_without_a_reload(page, desk, language):
    group, ana, ben, incident = desk
    page.add_init_script(FAST)
    if language == "fa":
        persian(page, ana)
    sign_in(page, ana.email, PASSWORD)
    page.goto(f"/incidents/{incident.number}/")
    if language == "fa":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.evaluate("window.liveMarker = 'same page'")
    services.incident_comment(
        incident_id=incident.pk, actor=ben, body="Rebooted the gateway", visibility="internal"
    )
    banner = page.locator("[data-test=live-changed]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(incident.number)
    expect(banner).to_contain_text("Ben Agent")
    banner.locator("summary").click()
    expect(banner).to_contain_text("Rebooted the gateway")
    assert page.evaluate("window.liveMarker") == "same page"  # no reload happened
    page.screenshot(path=f"var/test-artifacts/live-record-{language}.png", full_page=True)
    banner.locator("[data-live-reload]").click()
    expect(page.locator("[data-test=live-changed]")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Rebooted the gateway")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_queue_refreshes_its_table_and_keeps_the_ticks_and_filters(page, desk, language):
    group, ana, ben, incident = desk
    page.add_init_script(FAST)
    if language == "fa":
        persian(page, ana)
    sign_in(page, ana.email, PASSWORD)
    page.goto(f"/incidents/?queue=open&support_group={group.pk}")
    page.evaluate("window.liveMarker = 'same page'")
    page.locator(f"input[name=incidents][value='{incident.pk}']").check()
    table = page.locator("#queue-table")
    page.wait_for_timeout(900)  # the first poll learns the stamp
    fresh = services.incident_create(
        actor=ben, title="Printer on fire", impact="low", urgency="low", support_group=group
    )
    expect(table).to_contain_text(fresh.number)
    expect(page.locator(f"input[name=incidents][value='{incident.pk}']")).to_be_checked()
    assert page.evaluate("window.liveMarker") == "same page"
    assert f"support_group={group.pk}" in page.url
    page.screenshot(path=f"var/test-artifacts/live-queue-{language}.png", full_page=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_problem_queue_refreshes_its_table_and_keeps_the_filters(page, desk, language):
    group, ana, ben, _incident = desk
    page.add_init_script(FAST)
    if language == "fa":
        persian(page, ana)
    sign_in(page, ana.email, PASSWORD)
    page.goto("/problems/?queue=all&sort=-created")
    if language == "fa":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.evaluate("window.liveMarker = 'same page'")
    table = page.locator("#queue-table")
    page.wait_for_timeout(900)  # the first poll learns the stamp
    fresh = problem(actor=ben, title="Printers lose their queue", support_group=group)
    expect(table).to_contain_text(fresh.number)
    expect(table).to_contain_text("Printers lose their queue")
    assert table.get_attribute("data-live-refreshed") == "1"
    assert page.evaluate("window.liveMarker") == "same page"
    assert "sort=-created" in page.url
    expect(page.locator("#id_sort")).to_have_value("-created")
    page.screenshot(path=f"var/test-artifacts/live-problem-queue-{language}.png", full_page=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_bell_the_list_and_the_presence_switch(page, desk, language):
    group, ana, ben, incident = desk
    services.incident_assign(incident_id=incident.pk, actor=ben, support_group=group, assignee=ana)
    if language == "fa":
        persian(page, ana)
    sign_in(page, ana.email, PASSWORD)
    page.goto("/workspace/")
    bell = page.locator("[data-test=bell]")
    expect(bell).to_contain_text("1")
    bell.click()
    expect(page).to_have_url(re.compile(r"/live/notifications/$"))
    if language == "fa":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("tr[data-unread]")).to_have_count(1)
    expect(page.locator("main")).to_contain_text(incident.number)
    page.screenshot(path=f"var/test-artifacts/live-notifications-{language}.png", full_page=True)
    page.locator("[data-test=all-read]").click()
    expect(page.locator("tr[data-unread]")).to_have_count(0)
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("[data-test=bell]")).to_contain_text("0")
    presence = page.locator("[data-test=presence]")
    expect(presence).to_have_attribute("aria-pressed", "true")
    presence.click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("[data-test=presence]")).to_have_attribute("aria-pressed", "false")
    assert Availability.objects.get(user=ana).present is False
    page.goto("/live/availability/")
    page.locator("input[name=work_days][value='6']").check()
    page.locator("input[name=starts_at]").fill("08:30")
    page.locator("input[name=ends_at]").fill("16:30")
    page.locator("input[name=present]").check()
    page.screenshot(path=f"var/test-artifacts/live-availability-{language}.png", full_page=True)
    page.locator("[data-test=save-availability]").click()
    expect(page.locator(".message-success")).to_be_visible()
    row = Availability.objects.get(user=ana)
    assert (row.present, row.work_days, str(row.starts_at), str(row.ends_at)) == (
        True, "123456", "08:30:00", "16:30:00",
    )  # fmt: skip
    expect(page.locator("[data-test=presence]")).to_have_attribute("aria-pressed", "true")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_group_lead_turns_on_round_robin_and_new_incidents_are_handed_out(
    page, desk, make_user, language
):
    group, ana, ben, _incident = desk
    lead = make_user(Role.GROUP_LEAD, email="lea@example.com", full_name="Lea Lead")
    group.lead = lead
    group.save()
    if language == "fa":
        persian(page, lead)
    sign_in(page, lead.email, PASSWORD)
    page.goto("/live/groups/")
    form = page.locator(f"[data-test=rule-{group.pk}]")
    form.locator("select[name=rule]").select_option("round_robin")
    form.get_by_role("button").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator(f"[data-test=rule-{group.pk}] select[name=rule]")).to_have_value(
        "round_robin"
    )
    page.screenshot(path=f"var/test-artifacts/live-groups-{language}.png", full_page=True)
    got = []
    for _ in range(3):
        incident = services.incident_create(
            actor=ben, title="Disk full", impact="low", urgency="low", support_group=group
        )
        incident.refresh_from_db()
        got.append(incident.assignee)
    assert set(got) == {ana, ben, lead}  # the lead counts as a member; each in turn
