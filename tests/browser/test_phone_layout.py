"""The agent's queues and record pages on a phone (390 x 844), in English and in Persian.

The page never scrolls sideways, each queue card shows the essentials (number, title, priority,
status, assignee), the filters, the bulk bar and the navigation menu work, and an agent opens an
incident or a service request from its queue and posts a reply. A wide screen keeps the table.
"""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation
from playwright.sync_api import expect

from accounts.roles import Role
from catalogue import services as catalogue_services
from catalogue.models import ApprovalRule, RequestStatus, ServiceRequest
from incidents.choices import IncidentStatus
from incidents.models import Incident
from servicedesk.models import Comment
from tests.browser.conftest import PHONE, sign_in
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.factories import PASSWORD, UserFactory
from tests.incidents.factories import incident, incident_in

WIDTH = PHONE["viewport"]["width"]
LANGUAGES = ["en", "fa"]


@pytest.fixture
def desk(db):
    world = laptop_setup()
    world.item.approval_rule = ApprovalRule.NONE
    world.item.save(update_fields=["approval_rule"])
    colleague = UserFactory(role=Role.AGENT, email="lena@example.com", full_name="Lena Lead")
    world.desk.members.add(colleague)
    world.incidents = [
        incident_in(
            IncidentStatus.IN_PROGRESS,
            agent=world.agent,
            support_group=world.desk,
            requester=world.requester,
            title="Mapped drive S: missing since this morning on every laptop of the finance floor",
            impact="high",
            urgency="high",
        ),
        incident(
            actor=world.agent,
            support_group=world.desk,
            requester=world.requester,
            title="Printer on floor 3 jams",
            impact="low",
            urgency="low",
        ),
        incident(
            actor=colleague,
            support_group=world.desk,
            assignee=colleague,
            requester=world.stranger,
            title="Outlook keeps asking for my password",
        ),
    ]
    world.request = catalogue_services.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )
    assert world.request.status == RequestStatus.IN_FULFILMENT
    return world


def sign_in_phone(page, user, language):
    user.language = language
    user.save(update_fields=["language"])
    sign_in(page, user.email, PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/workspace/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")


def assert_fits(page):
    """No sideways scroll: a mobile browser widens its layout viewport to a page too wide for
    the screen, so the viewport must still be the screen's width and hold the whole page."""
    widths = page.evaluate(
        "({page: document.documentElement.scrollWidth, viewport: window.innerWidth})"
    )
    assert widths["viewport"] == WIDTH, widths
    assert widths["page"] <= widths["viewport"], widths


def assert_on_screen(locator):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box


def status_label(record, language):
    with translation.override(language):
        return record.get_status_display()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_incident_queue_fits_a_phone_with_each_cards_essentials(phone_page, desk, language):
    page = phone_page
    sign_in_phone(page, desk.agent, language)
    page.goto("/incidents/?queue=all")
    assert_fits(page)

    cards = page.locator(".queue-table tbody tr")
    expect(cards).to_have_count(len(desk.incidents))
    for record in desk.incidents:
        card = cards.filter(has=page.get_by_role("link", name=record.number, exact=True))
        assert_on_screen(card.get_by_role("link", name=record.number, exact=True))
        assert_on_screen(card.get_by_role("link", name=record.title))
        expect(card.locator(".priority")).to_have_text(f"P{record.priority}")
        assert_on_screen(card.locator(".priority"))
        expect(card.locator(".status")).to_have_text(status_label(record, language))
        assert_on_screen(card.locator(".status"))
        assignee = card.locator("td[data-label]")
        if record.assignee:
            expect(assignee).to_contain_text(record.assignee.full_name)
        else:
            with translation.override(language):
                expect(assignee).to_contain_text(translation.gettext("Nobody"))
        assert_on_screen(assignee)
        # The requester and the group are the columns a phone leaves out.
        expect(card.get_by_text(record.requester.full_name)).to_be_hidden()

    # A long title wraps inside its card instead of widening the page.
    long_title = cards.filter(has_text=desk.incidents[0].number).locator(".title-cell")
    assert long_title.bounding_box()["height"] > 30, "the long title wraps onto more lines"
    assert_on_screen(long_title)

    # The navigation is folded into the menu, which opens on a tap and stays on the screen.
    incidents_link = page.locator('.mainnav [data-nav="incidents"]')
    expect(incidents_link).to_be_hidden()
    page.locator(".nav-toggle").click()
    assert_on_screen(incidents_link)
    assert_on_screen(page.locator("#language-select"))
    assert_fits(page)
    page.keyboard.press("Escape")
    expect(incidents_link).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_phone_filters_unfold_and_filter_the_queue(phone_page, desk, language):
    page = phone_page
    sign_in_phone(page, desk.agent, language)
    page.goto("/incidents/?queue=all")
    search = page.locator("#id_q")
    expect(search).to_be_hidden()

    page.locator("#filters summary").click()
    assert_on_screen(search)
    assert_on_screen(page.locator("#filters").get_by_role("button").first)
    assert_fits(page)

    printer = desk.incidents[1]
    search.fill(printer.title)
    page.locator("#filters button[type=submit]").click()
    expect(page.locator(".queue-table tbody tr")).to_have_count(1)
    expect(page.locator(".queue-table tbody tr")).to_contain_text(printer.number)
    assert_fits(page)


def test_the_bulk_bar_works_on_a_phone(phone_page, desk):
    page = phone_page
    sign_in_phone(page, desk.agent, "en")
    page.goto("/incidents/?queue=unassigned")
    printer = desk.incidents[1]
    card = page.locator(".queue-table tbody tr", has_text=printer.number)
    checkbox = card.get_by_role("checkbox")
    assert_on_screen(checkbox)
    checkbox.check()
    for control in ("#bulk-action", "#bulk-support_group", "#bulk-target"):
        assert_on_screen(page.locator(control))
    page.locator("#bulk-action").select_option("take")
    apply = page.get_by_role("button", name="Apply")
    assert_on_screen(apply)
    apply.click()

    expect(page.locator(".message-success")).to_be_visible()
    printer.refresh_from_db()
    assert printer.assignee == desk.agent
    assert_fits(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_agent_opens_an_incident_from_the_phone_queue_and_replies(phone_page, desk, language):
    page = phone_page
    record = desk.incidents[0]
    sign_in_phone(page, desk.agent, language)
    page.goto("/incidents/?queue=mine")
    page.locator(".queue-table").get_by_role("link", name=record.number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{record.number}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(record.title)
    assert_fits(page)

    # The side panels stack under the main column; the reply box and timeline are full width.
    composer = page.locator("form.composer")
    timeline = page.locator("section[aria-labelledby=timeline-title]")
    facts = page.locator("#facts")
    for part in (composer, timeline, facts, page.locator("#sla")):
        assert_on_screen(part)
    main_width = page.locator(".record-main").bounding_box()["width"]
    assert main_width >= WIDTH - 40, main_width
    assert facts.bounding_box()["y"] > timeline.bounding_box()["y"]
    assert abs(facts.bounding_box()["width"] - timeline.bounding_box()["width"]) < 1
    # The action buttons wrap onto lines of their own instead of running off the screen.
    buttons = page.locator(".record-header .actions .button")
    assert buttons.count() >= 3
    for index in range(buttons.count()):
        assert_on_screen(buttons.nth(index))

    composer.locator("textarea[name=body]").fill("Please map the drive again from the portal.")
    composer.locator("input[name=visibility][value=public]").check()
    composer.locator("button[type=submit]").click()

    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator(".timeline").first).to_contain_text("Please map the drive again")
    reply = Comment.objects.get(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk
    )
    assert reply.author == desk.agent and reply.visibility == "public"
    assert "map the drive again" in reply.body
    assert_fits(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_agent_opens_a_service_request_from_the_phone_queue_and_replies(
    phone_page, desk, language
):
    page = phone_page
    record = desk.request
    sign_in_phone(page, desk.agent, language)
    page.goto("/catalogue/requests/")
    assert_fits(page)
    card = page.locator(".queue-table tbody tr", has_text=record.number)
    assert_on_screen(card.get_by_role("link", name=record.number, exact=True))
    assert_on_screen(card.get_by_text(record.title, exact=True))
    expect(card.locator(".status")).to_have_text(status_label(record, language))
    assert_on_screen(card.locator(".status"))
    assert_on_screen(card.get_by_text(desk.desk.name, exact=True))

    card.get_by_role("link", name=record.number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/catalogue/requests/{record.number}/$"))
    assert_fits(page)
    reply_box = page.locator("textarea[name=body]")
    assert_on_screen(reply_box)
    assert reply_box.bounding_box()["width"] >= WIDTH - 80

    reply_box.fill("The laptop is on its way to your desk.")
    page.locator("input[name=visibility][value=public]").check()
    reply_box.locator("xpath=ancestor::form").locator("button[type=submit]").click()

    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("The laptop is on its way")
    reply = Comment.objects.get(
        content_type=ContentType.objects.get_for_model(ServiceRequest), object_id=record.pk
    )
    assert reply.author == desk.agent and reply.visibility == "public"
    assert_fits(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_task_queue_fits_a_phone(phone_page, desk, language):
    page = phone_page
    sign_in_phone(page, desk.agent, language)
    page.goto("/catalogue/tasks/?queue=all")
    assert_fits(page)
    tasks = list(desk.request.tasks.all())
    cards = page.locator(".queue-table tbody tr")
    expect(cards).to_have_count(len(tasks))
    for task in tasks:
        card = cards.filter(has=page.get_by_role("link", name=task.number, exact=True))
        assert_on_screen(card.get_by_role("link", name=task.number, exact=True))
        assert_on_screen(card.get_by_text(task.title, exact=True))
        assert_on_screen(card.get_by_role("link", name=desk.request.number, exact=True))
        expect(card.locator(".status")).to_have_text(status_label(task, language))

    card.get_by_role("link", name=task.number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/catalogue/tasks/{task.number}/$"))
    assert_fits(page)


def test_a_wide_screen_keeps_the_queue_table_the_bar_and_the_open_filters(page, desk):
    sign_in(page, desk.agent.email, PASSWORD)
    page.goto("/incidents/?queue=all")
    expect(page.locator(".nav-toggle")).to_be_hidden()
    expect(page.locator('.mainnav [data-nav="incidents"]')).to_be_visible()
    expect(page.get_by_label("Language")).to_be_visible()
    expect(page.locator("#id_q")).to_be_visible()
    expect(page.locator("#filters summary")).to_be_hidden()
    headers = page.locator(".queue-table thead th")
    expect(headers).to_have_count(9)
    for index in range(9):
        expect(headers.nth(index)).to_be_visible()
    record = desk.incidents[0]
    row = page.locator(".queue-table tbody tr", has_text=record.number)
    expect(row.get_by_text(record.requester.full_name)).to_be_visible()
    # One table row: the number, title and requester cells side by side on one line.
    number_box = row.locator(".col-number").bounding_box()
    title_box = row.locator(".title-cell").bounding_box()
    assert title_box["x"] > number_box["x"] + number_box["width"] - 1
    assert abs(title_box["y"] - number_box["y"]) < 1
