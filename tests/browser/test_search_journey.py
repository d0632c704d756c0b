"""The search across everything in a real browser, in English and in Persian (right to left):
an agent presses Ctrl+K anywhere, types a word of a work note, narrows to open incidents and
opens the highlighted result; a requester searching the same word finds nothing (work notes are
internal), while a word of the public reply finds their incident in the portal."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services
from servicedesk.models import Visibility
from servicedesk.services import comment_add
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD


@pytest.fixture
def desk(make_user, request):
    language = request.param
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash", language=language)
    requester = make_user(
        Role.END_USER, email="reza@example.com", full_name="Reza", language=language
    )
    group = SupportGroup.objects.create(name="Workplace")
    group.members.add(agent)
    with transaction.atomic():
        incident = services.incident_create(
            actor=agent, title="Plotter smudges every drawing", impact="medium",
            urgency="medium", support_group=group, requester=requester,
            description="<p>The plotter on the second floor smudges the ink.</p>",
        )  # fmt: skip
        comment_add(record=incident, author=agent, body="<p>Vendor ships a new fuser unit.</p>",
                    visibility=Visibility.INTERNAL)  # fmt: skip
        comment_add(record=incident, author=agent, body="<p>A technician visits on Tuesday.</p>")
    return language, agent, requester, incident


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_an_agent_finds_a_work_note_from_the_header_and_opens_the_record(page, desk):
    language, agent, _requester, incident = desk
    sign_in(page, agent.email, PASSWORD)
    page.goto("/incidents/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    page.locator("body").press("Control+k")
    box = page.locator("[data-search-box]")
    expect(box).to_be_focused()
    box.fill("fuser")
    box.press("Enter")
    results = page.locator("[data-test=search-results]")
    expect(results).to_contain_text(incident.number)
    expect(results.locator("mark").first).to_have_text("fuser")
    page.select_option("#id_kind", "incident")
    page.locator("[data-test=search-form] button[type=submit]").click()
    page.select_option("#id_status", "open")
    page.locator("[data-test=search-form] button[type=submit]").click()
    expect(results).to_contain_text(incident.number)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"search-agent-{language}.png"), full_page=True)
    results.locator(f"a:has-text('{incident.number}')").click()
    expect(page).to_have_url(re.compile(f"/incidents/{incident.number}/$"))
    expect(page.locator("main")).to_contain_text("Plotter smudges every drawing")


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_a_requester_finds_the_public_reply_never_the_work_note(page, desk):
    language, _agent, requester, incident = desk
    sign_in(page, requester.email, PASSWORD)
    page.goto("/search/?q=fuser")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    expect(page.locator(".portal-nav")).to_be_visible()
    expect(page.locator("[data-test=search-empty]")).to_be_visible()
    box = page.locator("#id_q")
    box.fill("technician")
    box.press("Enter")
    results = page.locator("[data-test=search-results]")
    expect(results).to_contain_text(incident.number)
    expect(results.locator("mark").first).to_have_text("technician")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"search-portal-{language}.png"), full_page=True)
    results.locator(f"a:has-text('{incident.number}')").first.click()
    expect(page.locator("main")).to_contain_text("Plotter smudges every drawing")
