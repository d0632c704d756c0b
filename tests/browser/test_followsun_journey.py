"""Follow-the-sun in a real browser, in English and in Persian (right to left): after Tehran's
day ends its incident is with Berlin; Berlin's agent opens the handover report from the
workspace, chooses Tehran's desk and day and sees the record handed over, then finds the
"handed over from" badge on it in the incident queue."""

import pytest
import time_machine
from playwright.sync_api import expect

from followsun import services
from incidents import services as incidents
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.followsun.conftest import globe, utc

__all__ = ["globe"]  # the fixture, used by name


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_handover_report_and_the_queue_badge(page, globe, language):
    with time_machine.travel(utc(8, 5), tick=False):
        incident = incidents.incident_create(
            actor=globe.admin, title="Mail is down", impact="medium", urgency="medium",
            support_group=globe.groups["tehran"],
        )  # fmt: skip
    with time_machine.travel(utc(8, 12, 30), tick=False):
        (handover,) = services.handovers_due()
    assert handover.to_desk.support_group == globe.groups["berlin"]
    agent = globe.people["berlin"]
    if language == "fa":
        agent.language = "fa"
        agent.save(update_fields=["language"])
    sign_in(page, agent.email, PASSWORD)
    page.goto("/")
    if language == "fa":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("[data-test=handover-report-link]").click()
    tehran = globe.chain.desks.get(support_group=globe.groups["tehran"])
    page.locator("#id_desk").select_option(str(tehran.pk))
    page.locator("#id_day").fill("2026-12-08")
    page.locator(".filter-bar button[type=submit]").click()
    report = page.locator("[data-test=handover]")
    expect(report).to_have_count(1)
    expect(report).to_contain_text("Desk Berlin")
    expect(report.locator("[data-test=handover-item]")).to_contain_text(incident.number)
    page.screenshot(path=f"var/test-artifacts/followsun-report-{language}.png", full_page=True)

    page.goto("/incidents/?queue=all")
    row = page.locator("tr", has=page.locator(f"a:text-is('{incident.number}')"))
    badge = row.locator("[data-test=queue-badge]")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("Desk Tehran")
    page.screenshot(path=f"var/test-artifacts/followsun-queue-{language}.png", full_page=True)
