"""Time tracking in a real browser, in English and in Persian (right to left): an agent times
their work on an incident with the record page's timer, logs it with a work note, logs more
time on its own, and a desk manager sees it on the time dashboard and in the chargeback report.
Locators are the pages' own attributes, so one journey reads in both languages."""

import os

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organisation, SupportGroup
from accounts.roles import Role
from incidents import services
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from timekeeping.models import HourlyRate, TimeEntry

SCREENSHOTS = os.environ.get("SCREENSHOTS", "")  # a folder: the journey's pages as PNG files


@pytest.fixture
def desk(make_user, request):
    language = request.param
    org = Organisation.objects.create(name="Northwind")
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash", language=language)
    manager = make_user(
        Role.DESK_MANAGER, email="mona@example.com", full_name="Mona", language=language
    )
    group = SupportGroup.objects.create(name="Network")
    group.members.add(agent)
    HourlyRate.objects.create(organisation=org, rate=60)
    with transaction.atomic():
        record = services.incident_create(
            actor=agent, title="Wi-Fi drops", impact="medium", urgency="medium",
            support_group=group, organisation=org,
        )  # fmt: skip
    return language, agent, manager, record


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_an_agent_times_and_logs_work_a_manager_charges_it(page, desk):
    language, agent, manager, record = desk
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{record.number}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    card = page.locator("[data-test=time-card]")
    expect(card.locator("[data-test=time-total]")).to_contain_text("0")

    # The timer: start, it runs (kept in the browser), stop: its minutes fill the time fields.
    card.locator("[data-timer-start]").click()
    expect(card.locator("[data-timer-stop]")).to_be_visible()
    expect(card.locator("[data-timer-clock]")).not_to_have_text("00:00:00")
    page.reload()  # the timer survives a reload
    expect(card.locator("[data-timer-stop]")).to_be_visible()
    card.locator("[data-timer-stop]").click()
    minutes = page.locator("input[name=time-minutes]")
    expect(minutes).to_have_value("1")

    # A work note with the time, billable: saved together.
    page.locator("textarea[name=body]").fill("Replaced the access point.")
    page.locator("input[name=visibility][value=internal]").check()
    minutes.fill("25")
    page.locator("input[name=time-billable]").check()
    page.locator("form.composer button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(card.locator("[data-test=time-total]")).to_contain_text("25")
    expect(card.locator("[data-test=time-billable]")).to_contain_text("25")
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.billable, entry.comment is not None) == (25, True, True)
    assert page.evaluate("window.localStorage.length") == 0  # logging cleared the timer

    # More time on its own, not billable.
    card.locator("details.time-log summary").click()
    card.locator("input[name=minutes]").fill("35")
    card.locator("details.time-log button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(card.locator("[data-test=time-total]")).to_contain_text("1")  # 1 h
    assert sorted(TimeEntry.objects.values_list("minutes", flat=True)) == [25, 35]
    if SCREENSHOTS:
        card.screenshot(path=f"{SCREENSHOTS}/time-card-{language}.png")
        page.locator("form.composer").screenshot(path=f"{SCREENSHOTS}/time-box-{language}.png")

    # The manager: the time dashboard and the chargeback report (25 min at 60/h = 25.00).
    page.context.clear_cookies()
    sign_in(page, manager.email, PASSWORD)
    today = timezone.localdate()
    page.goto(f"/time/?start={today.replace(day=1)}&end={today}")
    expect(page.locator("[data-test=time-by-organisation]")).to_contain_text("Northwind")
    page.goto("/time/chargeback/")
    page.locator("select[name=organisation]").select_option(label="Northwind")
    page.locator("input[name=month]").fill(today.strftime("%Y-%m"))
    page.locator(".filter-buttons button[type=submit]").click()
    expect(page.locator("[data-test=chargeback-total]")).to_have_text("25.00")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/time-chargeback-{language}.png", full_page=True)
        page.goto(f"/time/?start={today.replace(day=1)}&end={today}")
        page.screenshot(path=f"{SCREENSHOTS}/time-dashboard-{language}.png", full_page=True)
