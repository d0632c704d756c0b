"""The incident process in a real browser: a phone call logged, assigned, worked and resolved by
an agent, and the requester reading the resolution in the portal."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents.models import Category, Incident
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


@pytest.fixture
def desk(make_user):
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    colleague = make_user(Role.AGENT, email="lena@example.com", full_name="Lena Lead")
    requester = make_user(Role.END_USER, email="emma@example.com", full_name="Emma Wilson")
    group = SupportGroup.objects.create(name="Service Desk", lead=colleague)
    group.members.add(agent, colleague)
    network = Category.objects.create(name="Network")
    Category.objects.create(name="VPN", parent=network)
    return {"agent": agent, "colleague": colleague, "requester": requester, "group": group}


def test_agent_logs_a_call_assigns_works_and_resolves_it_and_the_requester_sees_it(
    page, browser, live_server, desk
):
    sign_in(page, desk["agent"].email, PASSWORD)
    page.goto("/incidents/")
    page.keyboard.press("c")  # the "log a call" shortcut
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a call")

    # A first try without a title: the form says what is missing and keeps what was typed.
    page.get_by_label("Requester").fill("emma@example.com")
    page.get_by_role("button", name="Log the call").click()
    expect(page.locator(".field-invalid").first).to_contain_text("This field is required")
    expect(page.get_by_label("Requester")).to_have_value("emma@example.com")
    assert Incident.objects.count() == 0

    page.get_by_label("Title").fill("VPN drops every ten minutes")
    page.get_by_label("Description").fill("Since this morning, on the home Wi-Fi.")
    page.get_by_label("Impact").select_option("low")
    page.get_by_label("Urgency").select_option("high")
    page.get_by_label("Category", exact=True).select_option(label="Network")
    page.get_by_label("Support group").select_option(label="Service Desk")
    page.get_by_role("button", name="Log the call").click()

    expect(page.locator(".message-success")).to_contain_text("logged for Service Desk")
    expect(page.locator(".record-number")).to_contain_text("P3")  # urgency high x impact low
    number = page.locator(".record-number").inner_text().split()[0]
    incident = Incident.objects.get(number=number)
    assert incident.channel == "phone" and incident.status == "new"

    # Assign it to a colleague, then take it back with one click.
    page.get_by_label("Assignee").select_option(label="Lena Lead")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".message-success")).to_contain_text("assigned to Lena Lead")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".message-success")).to_contain_text("is now yours")
    incident.refresh_from_db()
    assert incident.assignee == desk["agent"]
    assert incident.reassignment_count == 1

    page.get_by_role("button", name="Start work").click()
    expect(page.locator(".record-number .status")).to_have_text("In progress")

    page.get_by_label("Message").fill("Please restart the VPN client and try again.")
    page.get_by_label("Public reply (the requester sees it)").check()
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".message-success")).to_have_text("Reply sent to the requester.")

    # Resolving without notes is refused beside the field; nothing changes.
    page.get_by_role("link", name="Resolve…").click()
    dialog = page.locator("#dialog-resolved")
    dialog.get_by_label("Resolution code").select_option("solved_workaround")
    dialog.get_by_role("button", name="Resolve").click()
    expect(page.locator("#dialog-resolved")).to_contain_text("Write resolution notes")
    incident.refresh_from_db()
    assert incident.status == "in_progress"

    page.locator("#dialog-resolved").get_by_label("Resolution notes").fill(
        "Updated the VPN client profile; the tunnel has stayed up for an hour."
    )
    page.locator("#dialog-resolved").get_by_role("button", name="Resolve").click()
    expect(page.locator(".record-number .status")).to_have_text("Resolved")

    # The requester signs in and reads the resolution in the portal.
    page.context.clear_cookies()
    sign_in(page, desk["requester"].email, PASSWORD)
    page.goto("/portal/incidents/?show=all")
    page.get_by_role("link", name=re.compile(number)).click()
    expect(page.get_by_role("heading", name="How we solved it")).to_be_visible()
    expect(page.locator(".resolution-card")).to_contain_text("Updated the VPN client profile")
    expect(page.locator(".timeline")).to_contain_text("Please restart the VPN client")


def test_a_call_fixed_on_the_line_is_resolved_at_first_contact(page, desk):
    sign_in(page, desk["agent"].email, PASSWORD)
    page.goto("/incidents/new/?channel=phone")
    page.get_by_label("Requester").fill("emma@example.com")
    page.get_by_label("Title").fill("Forgot how to share a calendar")
    page.get_by_label("Resolved on the call").check()
    page.get_by_label("Resolution code").select_option("user_error")
    page.get_by_label("Resolution notes").fill("Walked her through the sharing dialog.")
    page.get_by_role("button", name="Log the call").click()

    expect(page.locator(".message-success")).to_contain_text("resolved at first contact")
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.first_contact_resolution is True
    assert incident.assignee == desk["agent"]


def test_end_user_cannot_open_another_persons_incident(page, desk, make_user):
    from incidents import services

    other = make_user(Role.END_USER, email="omid@example.com")
    incident = services.incident_create(
        actor=desk["agent"], requester=other, title="Private", impact="low", urgency="low",
        support_group=desk["group"],
    )  # fmt: skip
    sign_in(page, desk["requester"].email, PASSWORD)
    response = page.goto(f"/portal/incidents/{incident.number}/")
    assert response.status == 404
    response = page.goto(f"/incidents/{incident.number}/")
    assert response.status == 403
