"""The request and self-service journeys in a real browser (issue 6, item 7):

1. a user orders a laptop that needs the manager's approval, the manager approves in the portal,
   agents of two support groups work the fulfilment tasks, and the user sees the request closed
   and rates it;
2. a user reports an incident (offered a knowledge article first), sees the agent's public reply
   and confirms the resolution.
"""

import re

import pytest
from playwright.sync_api import expect

from catalogue.models import RequestStatus, ServiceRequest
from incidents.models import Incident, RoutingRule
from knowledge.models import Article
from portal.models import Deflection, DeflectionOutcome
from servicedesk.models import SatisfactionRating
from tests.browser.conftest import sign_in
from tests.catalogue.factories import laptop_setup
from tests.factories import PASSWORD


@pytest.fixture
def world(db):
    return laptop_setup()


def switch_user(page, user):
    page.context.clear_cookies()
    sign_in(page, user.email, PASSWORD)


def test_laptop_ordered_approved_by_the_manager_fulfilled_closed_and_rated(page, world):
    sign_in(page, world.requester.email, PASSWORD)
    page.goto("/portal/")
    page.get_by_role("link", name="Order something").first.click()
    page.get_by_role("link", name="Order: Laptop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order: Laptop")

    # A first try without the required answers: the form names them, nothing is saved.
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".field-invalid").first).to_contain_text("This field is required")
    assert not ServiceRequest.objects.exists()

    page.get_by_label("Model").select_option("16-inch")
    page.get_by_label("Needed by").fill("2030-01-10")
    page.get_by_label("Why do you need it").fill("My old one no longer charges.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".message-success")).to_contain_text("is registered")
    expect(page.locator(".record-number .status")).to_have_text("Awaiting approval")
    number = page.locator(".record-number").inner_text().split()[0]

    # The manager approves in the portal.
    switch_user(page, world.boss)
    page.goto("/portal/")
    page.get_by_role("link", name=re.compile("waits for your approval")).click()
    card = page.locator(".approval-card", has_text=number)
    expect(card).to_contain_text("16-inch")
    card.get_by_role("button", name="Approve").click()
    expect(page.locator(".message-success")).to_contain_text(f"You approved {number}")
    record = ServiceRequest.objects.get(number=number)
    assert record.status == RequestStatus.IN_FULFILMENT

    # The hardware technician prepares the laptop, the desk agent hands it over.
    for agent in (world.tech, world.agent):
        switch_user(page, agent)
        page.goto("/catalogue/tasks/")
        page.locator(".queue-table").get_by_role("link", name=re.compile("TSK")).first.click()
        page.get_by_role("button", name="Assign to me").click()
        expect(page.locator(".message-success")).to_contain_text("is now yours")
        page.get_by_role("button", name="Start work").click()
        expect(page.locator(".record-number .status")).to_have_text("In progress")
        page.get_by_role("button", name="Mark done").click()
        expect(page.locator(".record-number .status")).to_have_text("Done")
    record.refresh_from_db()
    assert record.status == RequestStatus.CLOSED

    # The requester sees it closed and rates it.
    switch_user(page, world.requester)
    page.goto("/portal/mine/?show=all")
    page.get_by_role("link", name=re.compile(number)).click()
    expect(page.locator(".record-number .status")).to_have_text("Closed")
    page.get_by_label("5 - Very satisfied").check()
    page.get_by_label("Anything to add?").fill("Fast and friendly.")
    page.get_by_role("button", name="Send my rating").click()
    expect(page.locator(".message-success")).to_have_text("Thank you for your rating.")
    expect(page.locator(".rating-given")).to_contain_text("You rated it 5 out of 5.")
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.rated_by) == (5, world.requester)


def test_incident_reported_answered_in_public_and_confirmed(page, world):
    RoutingRule.objects.create(name="Everything", support_group=world.desk)
    Article.objects.create(
        title="Printer shows paper jam", body="Open tray 2 and pull the paper out.",
        status="published",
    )  # fmt: skip

    sign_in(page, world.requester.email, PASSWORD)
    page.goto("/portal/")
    page.get_by_role("link", name="Report a problem").first.click()
    page.get_by_label("What is wrong?").press_sequentially("printer jam", delay=20)
    expect(page.locator("#suggestions")).to_contain_text("Printer shows paper jam")
    page.get_by_label("What is wrong?").fill("Printer jams on every page, tray 2 is empty")
    page.get_by_label("I cannot work at all").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-success")).to_contain_text("We have logged")
    number = page.locator(".record-number").inner_text().split()[0]
    assert Deflection.objects.get().outcome == DeflectionOutcome.LOGGED

    # The agent answers in public and resolves.
    switch_user(page, world.agent)
    page.goto(f"/incidents/{number}/")
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_label("Message").fill("Please switch the printer off and on; I reset its queue.")
    page.get_by_label("Public reply (the requester sees it)").check()
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".message-success")).to_have_text("Reply sent to the requester.")
    page.get_by_label("Message").fill("Queue was stuck on a 200-page job.")
    page.get_by_label("Internal work note (agents only)").check()
    page.get_by_role("button", name="Add").click()
    page.get_by_role("link", name="Resolve…").click()
    dialog = page.locator("#dialog-resolved")
    dialog.get_by_label("Resolution code").select_option("solved_workaround")
    dialog.get_by_label("Resolution notes").fill("Cleared the print queue.")
    dialog.get_by_role("button", name="Resolve").click()
    expect(page.locator(".record-number .status")).to_have_text("Resolved")

    # The requester reads the public reply (not the work note) and confirms the resolution.
    switch_user(page, world.requester)
    page.goto("/portal/mine/")
    page.get_by_role("link", name=re.compile(number)).click()
    expect(page.locator(".timeline")).to_contain_text("I reset its queue")
    expect(page.locator(".timeline")).not_to_contain_text("200-page job")
    page.get_by_role("button", name="Yes, it is solved").click()
    expect(page.locator(".message-success")).to_contain_text("is closed")
    expect(page.locator(".record-number .status")).to_have_text("Closed")
    assert Incident.objects.get(number=number).status == "closed"
