"""Problem management in a real browser, in English and in Persian: an agent selects three
similar incidents in the queue and raises a problem from them; the problem manager records the
root cause and the workaround and publishes the known error; the incident page then shows the
workaround. Locators are the pages' own attributes, so one journey reads in both languages."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services
from problems.models import Problem
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


@pytest.fixture
def desk(make_user, request):
    language = request.param
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash", language=language)
    manager = make_user(
        Role.PROBLEM_MANAGER, email="parisa@example.com", full_name="Parisa", language=language
    )
    group = SupportGroup.objects.create(name="Network")
    group.members.add(agent, manager)
    with transaction.atomic():
        incidents = [
            services.incident_create(
                actor=agent,
                title=f"Wi-Fi drops on floor {n}",
                impact="medium",
                urgency="medium",
                support_group=group,
            )  # fmt: skip
            for n in (1, 2, 3)
        ]
        services.incident_create(
            actor=agent, title="Printer jams", impact="low", urgency="low", support_group=group
        )
    return language, agent, manager, incidents


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_three_incidents_become_a_known_error_whose_workaround_the_incident_shows(page, desk):
    language, agent, manager, incidents = desk
    sign_in(page, agent.email, PASSWORD)
    page.goto("/incidents/?queue=all")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    for incident in incidents:
        page.locator(f"input[name=incidents][value='{incident.pk}']").check()
    page.locator("[data-raise-problem]").click()
    expect(page.locator(".record-number")).to_contain_text("PRB")
    problem = Problem.objects.get()
    for incident in incidents:
        expect(page.locator("#incidents")).to_contain_text(incident.number)

    page.context.clear_cookies()
    sign_in(page, manager.email, PASSWORD)
    page.goto(f"/problems/{problem.number}/")
    page.locator("#analysis > summary").click()
    analysis = page.locator("#analysis form")
    analysis.locator("textarea[name=root_cause]").fill("The access points run firmware 8.1.")
    analysis.locator("textarea[name=workaround]").fill("Forget the network and join Staff-5G.")
    analysis.locator("select[name=rca_method]").select_option("five_whys")
    analysis.locator("input[name=why_0]").fill("Clients lose the signal")
    analysis.locator("input[name=why_1]").fill("The access point reboots")
    analysis.locator("button[type=submit]").click()
    expect(page.locator("[data-field=root-cause]")).to_contain_text("firmware 8.1")
    page.locator("form:has(input[name=target][value=known_error]) button").click()
    expect(page.locator(".record-number .status-known_error")).to_be_visible()
    problem.refresh_from_db()
    assert problem.status == "known_error" and problem.known_error_at is not None

    page.context.clear_cookies()
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{incidents[0].number}/")
    panel = page.locator("#problem-panel")
    expect(panel).to_contain_text(problem.number)
    expect(panel.locator("[data-field=workaround]")).to_contain_text("join Staff-5G")
