"""Linked records and merging in a real browser: an agent links two incidents from the record
page's card, removes the link, then merges a duplicate through the "Merge into…" dialog."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services
from incidents.models import Incident
from servicedesk.models import RecordLink
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


@pytest.fixture
def two_reports(make_user):
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    group = SupportGroup.objects.create(name="Service Desk")
    group.members.add(agent)
    with transaction.atomic():
        first, second = (
            services.incident_create(
                actor=agent, title=title, impact="medium", urgency="medium", support_group=group
            )
            for title in ("Mail is down", "No e-mail since nine")
        )
    return agent, first, second


def test_an_agent_links_unlinks_and_merges_incidents(page, live_server, two_reports):
    agent, survivor, duplicate = two_reports
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{duplicate.number}/")

    card = page.locator("#links")
    expect(card).to_contain_text("No linked records.")
    card.get_by_label("This record is").select_option("related_to")
    card.get_by_label("Record number").fill(survivor.number.lower())
    card.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator(".message-success")).to_contain_text(
        f"{duplicate.number} is now related to {survivor.number}."
    )
    expect(page.locator("#links .link-row")).to_contain_text(survivor.number)
    expect(page.locator(".timeline")).to_contain_text(f"Linked: related to {survivor.number}")

    page.locator("#links").get_by_role("button", name="Remove link").click()
    expect(page.locator(".message-success")).to_have_text("Link removed.")
    assert not RecordLink.objects.exists()

    page.get_by_role("link", name="Merge into…").click()
    dialog = page.locator("#dialog-merge")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Merge into incident").fill(survivor.number)
    dialog.get_by_role("button", name="Merge", exact=True).click()

    expect(page.locator(".message-success")).to_contain_text(
        f"{duplicate.number} is merged into {survivor.number}."
    )
    expect(page.locator("#links .link-row")).to_contain_text("has duplicate")
    assert Incident.objects.get(pk=duplicate.pk).status == "cancelled"
