"""The assignee menu follows the group chosen beside it, without a page reload: on the incident
page's assignment card and in the queue's filter bar."""

import pytest
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


@pytest.fixture
def teams(make_user):
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    colleague = make_user(Role.AGENT, email="lena@example.com", full_name="Lena Lead")
    engineer = make_user(Role.AGENT, email="nima@example.com", full_name="Nima Network")
    requester = make_user(Role.END_USER, email="emma@example.com", full_name="Emma Wilson")
    desk = SupportGroup.objects.create(name="Service Desk")
    desk.members.add(agent, colleague)
    network = SupportGroup.objects.create(name="Network Team", lead=engineer)
    record = services.incident_create(
        actor=agent, requester=requester, title="Core switch flaps", impact="medium",
        urgency="medium", support_group=desk,
    )  # fmt: skip
    return {"agent": agent, "network": network, "record": record}


def menu_labels(page) -> list[str]:
    return [
        label.strip() for label in page.locator("select[name=assignee] option").all_inner_texts()
    ]


def test_choosing_another_group_offers_its_people_and_the_assignment_follows(page, teams):
    sign_in(page, teams["agent"].email, PASSWORD)
    page.goto(f"/incidents/{teams['record'].number}/")
    assert menu_labels(page) == ["---------", "Arash Agent", "Lena Lead"]
    page.evaluate("window.reloadMarker = 'still the same page'")

    page.get_by_label("Support group").select_option(label="Network Team")

    expect(page.locator("select[name=assignee] option")).to_have_count(2)
    assert menu_labels(page) == ["---------", "Nima Network"]
    assert page.evaluate("window.reloadMarker") == "still the same page"  # no reload
    page.get_by_label("Assignee").select_option(label="Nima Network")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".message-success")).to_contain_text("assigned to Nima Network")
    teams["record"].refresh_from_db()
    assert teams["record"].assignee.full_name == "Nima Network"
    assert teams["record"].support_group == teams["network"]


def test_the_queue_filter_offers_the_people_of_the_chosen_group(page, teams):
    sign_in(page, teams["agent"].email, PASSWORD)
    page.goto("/incidents/?queue=all")
    filters = page.locator("#filters")
    assert len(menu_labels(page)) == 4  # Any and the three people in groups

    filters.get_by_label("Support group").select_option(label="Network Team")

    expect(filters.locator("select[name=assignee] option")).to_have_count(2)
    assert menu_labels(page) == ["Any", "Nima Network"]
