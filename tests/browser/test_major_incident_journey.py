"""The major-incident room and the status page in a real browser, in English and in Persian
(right to left): an agent opens the room from the incident page, saves the communications
plan, links a child incident and posts an update; the affected user reads it on the service's
status page in the portal, and anyone reads the public page once an administrator allows it."""

import pytest
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from catalogue.models import Service
from incidents import services
from majorincidents.models import ServiceStatus, StatusUpdate
from servicedesk.models import Notification
from tests.browser.conftest import sign_in
from tests.cmdb.factories import make_ci, relate
from tests.factories import PASSWORD


@pytest.fixture
def desk(make_user, request):
    language = request.param
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash", language=language)
    user = make_user(Role.END_USER, email="emma@example.com", full_name="Emma", language=language)
    group = SupportGroup.objects.create(name="Service Desk")
    group.members.add(agent)
    payroll = Service.objects.create(name="Payroll", support_group=group)
    server = make_ci("DB-PAY-1")
    relate(make_ci("BS Payroll", "business_service", service=payroll), server)
    with transaction.atomic():
        child = services.incident_create(
            actor=user, title="My payslip is missing", impact="low", urgency="low", service=payroll
        )
        major = services.incident_create(
            actor=agent, title="Payroll database down", impact="high", urgency="high",
            configuration_item=server, major_incident=True, support_group=group, assignee=agent,
        )  # fmt: skip
    return language, agent, user, payroll, major, child


def _direction(page, language):
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_an_agent_runs_the_room_and_users_read_the_status_page(page, desk):
    language, agent, user, payroll, major, child = desk
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{major.number}/")
    _direction(page, language)
    page.locator("[data-test=open-room]").click()
    expect(page.locator("h1")).to_have_text("Payroll database down")
    _direction(page, language)

    plan = page.locator("#plan form")
    plan.locator("input[name=update_interval]").fill("30")
    plan.locator("textarea[name=addresses]").fill("cio@example.org")
    plan.locator("button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("[data-test=next-due]")).to_be_visible()

    children = page.locator("#children form")
    children.locator("input[name=number]").fill(child.number)
    children.locator("button[type=submit]").click()
    expect(page.locator("#children [data-test=child]")).to_contain_text(child.number)

    update = page.locator("#post-update form")
    update.locator("textarea[name=text]").fill("Payroll is down; the database is being restored.")
    update.locator("select[name=health]").select_option("major_outage")
    update.locator("button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("#updates [data-test=update]")).to_contain_text("being restored")
    with translation.override(language):
        service_status = str(_("Service status"))
    expect(page.locator("#decisions")).to_contain_text(service_status)
    page.screenshot(path=f"var/test-artifacts/major-room-{language}.png", full_page=True)
    row = StatusUpdate.objects.get()
    assert row.health == "major_outage" and row.service == payroll
    affected = Notification.objects.get(kind="major_update_affected")
    assert user.pk in affected.user_ids

    page.context.clear_cookies()
    sign_in(page, user.email, PASSWORD)
    page.goto("/status/")
    _direction(page, language)
    overview = page.locator("[data-test=status-overview]")
    expect(overview.locator(".health-major_outage")).to_be_visible()
    overview.get_by_role("link", name="Payroll").click()
    expect(page.locator("#current [data-test=page-update]")).to_contain_text("being restored")
    expect(page.locator("main")).not_to_contain_text("Payroll database down")
    page.locator("form.actions button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    page.screenshot(path=f"var/test-artifacts/status-page-{language}.png", full_page=True)

    page.context.clear_cookies()
    page.goto(f"/public/status/{payroll.pk}/")
    expect(page.locator("h1")).not_to_have_text("Payroll")  # not public yet: the 404 page
    ServiceStatus.objects.filter(service=payroll).update(public=True)
    page.goto(f"/public/status/{payroll.pk}/")
    expect(page.locator("h1")).to_have_text("Payroll")
    expect(page.locator("main")).to_contain_text("being restored")
    expect(page.locator("main")).not_to_contain_text("Arash")
