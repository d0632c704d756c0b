"""Tasks and checklists in a real browser, in English and in Persian (right to left): an agent
adds a task to an incident from its page, finds it in the task queue and finishes it; the
incident's required checklist item holds back the resolution until the agent ticks it."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from catalogue.models import FulfilmentTask
from checklists.models import ChecklistItem, ChecklistTemplate
from incidents import services
from incidents.models import Category, Incident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD


@pytest.fixture
def desk(make_user, request):
    language = request.param
    agent = make_user(Role.AGENT, email="tara@example.com", full_name="Tara", language=language)
    group = SupportGroup.objects.create(name="Network team")
    group.members.add(agent)
    network = Category.objects.create(name="Network")
    template = ChecklistTemplate.objects.create(
        name="Network outage", record_type="incident", category=network
    )
    template.items.create(title="Check the uplink", required=True, order=1)
    template.items.create(title="Tell the users", required=False, order=2)
    with transaction.atomic():
        record = services.incident_create(
            actor=agent, title="Floor 3 is offline", impact="medium", urgency="medium",
            support_group=group, assignee=agent, category=network,
        )  # fmt: skip
    return language, agent, group, record


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_an_agent_adds_a_task_and_ticks_the_checklist_before_resolving(page, desk):
    language, agent, group, record = desk
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{record.number}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")

    checklist = page.locator("#checklists")
    expect(checklist).to_contain_text("Check the uplink")
    expect(checklist).to_contain_text("Network outage")

    page.locator("#record-tasks a.button").click()
    page.locator("input[name=title]").fill("Replace the floor switch")
    page.locator("select[name=support_group]").select_option(str(group.pk))
    page.locator("select[name=assignee]").select_option(str(agent.pk))
    page.locator("input[name=due_at]").fill("2031-01-10T09:00")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tasks-add-{language}.png"), full_page=True)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".message-success")).to_contain_text(record.number)
    task = FulfilmentTask.objects.get(title="Replace the floor switch")
    expect(page.locator("#record-tasks")).to_contain_text(task.number)

    page.goto("/catalogue/tasks/?queue=mine")
    row = page.locator("tr", has_text=task.number)
    expect(row).to_contain_text(record.number)
    page.screenshot(path=str(ARTIFACTS / f"tasks-queue-{language}.png"), full_page=True)
    row.get_by_role("link", name=task.number).click()
    expect(page.locator("[data-test=task-parent]")).to_contain_text(record.number)
    page.locator("button[name=action][value=done]").click()
    expect(page.locator(".record-number .status-done")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"tasks-task-{language}.png"), full_page=True)

    page.goto(f"/incidents/{record.number}/")

    def resolve():
        page.locator("a[data-open-dialog=dialog-resolved]").click()
        dialog = page.locator("#dialog-resolved")
        dialog.locator("select[name=resolution_code]").select_option(index=1)
        dialog.locator("textarea[name=resolution_notes]").fill("Replaced the floor switch.")
        dialog.locator("button[type=submit]").click()

    # The required item is open: the resolution is refused with the item's name.
    resolve()
    expect(page.locator(".message-error, #dialog-resolved .message-error").first).to_contain_text(
        "Check the uplink"
    )
    assert Incident.objects.get(pk=record.pk).status == "assigned"
    page.screenshot(path=str(ARTIFACTS / f"tasks-refused-{language}.png"), full_page=True)

    page.goto(f"/incidents/{record.number}/")
    page.locator("#checklists [data-test=checklist-item]").first.locator("button").click()
    expect(page.locator(".message-success")).to_contain_text("Check the uplink")
    item = ChecklistItem.objects.get(title="Check the uplink")
    assert item.done_by == agent
    expect(page.locator("#checklists")).to_contain_text("Tara")
    page.screenshot(path=str(ARTIFACTS / f"tasks-incident-{language}.png"), full_page=True)

    resolve()
    expect(page.locator(".record-number .status-resolved")).to_be_visible()
    assert Incident.objects.get(pk=record.pk).status == "resolved"
