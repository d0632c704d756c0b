"""Change management in a real browser, in English and in Chinese:

1. an agent raises a normal change on a database server (a business service depends on it),
   sees it collide with a change on the server's storage (two hops away in the CMDB, with the
   path), on the change page and on the change calendar, answers the risk questionnaire (high
   risk: the CAB), two CAB members approve with a comment (quorum 2 of 3), the owner schedules
   and implements it and records the review, and closes it;
2. an agent raises a standard change from its template (no CAB), implements it, and a change
   manager reviews and closes it.

The emergency change in a blackout and the calendar pages are in test_change_calendar_journey.py.

Labels are looked up through gettext in the person's language, so the journeys keep passing
once the catalogues translate the change pages.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from changes.choices import ChangeStatus as S
from changes.models import Change, StandardChangeTemplate
from cmdb.models import ConfigurationItem
from tests.browser.conftest import sign_in
from tests.changes.factories import PLANS, people, questionnaire
from tests.changes.test_collisions import scheduled_change
from tests.cmdb.factories import make_ci, relate
from tests.factories import PASSWORD

LANGUAGES = ["en", "zh-hans"]


def t(language, text):
    with translation.override(language):
        return translation.gettext(text)


def as_person(page, user, language):
    user.language = language
    user.save(update_fields=["language"])
    page.context.clear_cookies()
    sign_in(page, user.email, PASSWORD)


def status_of(page):
    return page.locator('[data-test="change-status"]')


def label_of(status, language):
    with translation.override(language):
        return str(dict(S.choices)[status])


@pytest.fixture
def estate(db):
    server = make_ci("db-server-01")
    payroll = make_ci("Payroll", "business_service", criticality=4)
    storage = make_ci("san-01", "storage")
    host = make_ci("vm-host-01")
    relate(payroll, server)
    relate(server, host, "runs_on")
    relate(host, storage, "depends_on")
    return server, payroll


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_normal_change_on_a_database_server_through_the_cab(page, estate, language):
    manager, owner, cab = people()
    questionnaire()
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=22, minute=0)
    storage_work = scheduled_change(
        owner, ConfigurationItem.objects.get(name="san-01"), title="Firmware on the SAN",
        planned_start=start + timedelta(hours=1), planned_end=start + timedelta(hours=3),
    )  # fmt: skip
    as_person(page, owner, language)
    page.goto("/changes/")
    page.locator('[data-test="new-change"]').click()
    page.get_by_label(t(language, "Title")).fill("Upgrade PostgreSQL on db-server-01")
    page.get_by_label(t(language, "Reason")).fill("The version goes out of support.")
    search = page.get_by_label(t(language, "Search by name"))
    expect(page.locator(".htmx-settling, .htmx-swapping")).to_have_count(0)
    search.press_sequentially("db-ser", delay=40)
    choice = page.get_by_label(t(language, "Affected CI"), exact=True)
    expect(choice.locator("option:checked")).to_have_text("db-server-01")
    page.get_by_label(t(language, "Implementation plan")).fill(PLANS["implementation_plan"])
    page.get_by_label(t(language, "Back-out plan")).fill(PLANS["backout_plan"])
    page.get_by_label(t(language, "Planned start")).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(t(language, "Planned end")).fill(
        (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name=t(language, "Raise the change")).click()
    expect(page.locator(".message-success")).to_contain_text(t(language, "Change raised."))
    expect(status_of(page)).to_have_text(label_of(S.REQUESTED, language))
    expect(page.locator('[data-test="impact"]')).to_contain_text("Payroll")
    change = Change.objects.exclude(pk=storage_work.pk).get()

    # The collision with the change on the server's storage, two hops away, with its path.
    collisions = page.locator('[data-test="collisions"]')
    expect(collisions).to_contain_text(storage_work.number)
    expect(collisions.locator('[data-test="collision-path"]')).to_contain_text("db-server-01")
    expect(collisions.locator('[data-test="collision-path"]')).to_contain_text("vm-host-01")
    expect(collisions.locator('[data-test="collision-path"]')).to_contain_text("san-01")
    # ... and on the change calendar: the week of the change, the other change marked.
    collisions.locator('[data-test="collisions-on-calendar"]').click()
    expect(page.locator('[data-test="cal-grid"]')).to_be_visible()
    other = page.locator(f'[data-test="cal-entry"][data-number="{storage_work.number}"]').first
    expect(other).to_have_class(re.compile("is-colliding"))
    expect(other).to_contain_text(t(language, "Collides"))
    expect(page.locator(".cal-focus")).to_contain_text("san-01")
    page.goto(f"/changes/{change.number}/")
    assert list(change.configuration_items.all()) == [estate[0]]

    page.get_by_role("button", name=t(language, "Assign to me")).click()
    # The risk form: the service is down for everyone, it was never done before.
    risk = page.locator("#risk")
    risk.get_by_label("Yes, for everyone").check()
    risk.get_by_label("Never").check()
    page.locator('[data-test="risk-submit"]').click()
    expect(page.locator('[data-test="risk-result"]')).to_contain_text("25")
    expect(page.locator('[data-test="route"]')).to_contain_text("Change advisory board")
    page.locator('[data-test="action-assessed"]').click()
    expect(status_of(page)).to_have_text(label_of(S.ASSESSED, language))

    # Two of the three CAB members approve, each with a comment: the quorum is reached.
    for member, comment in zip(cab[:2], ("Fine, after the backup.", "Agreed."), strict=True):
        as_person(page, member, language)
        page.goto(f"/changes/{change.number}/")
        decide = page.locator('[data-test="decide"]')
        decide.get_by_label(t(language, "Your comment (needed to reject)")).fill(comment)
        decide.get_by_role("button", name=t(language, "Approve")).click()
        expect(page.locator(".message-success")).to_contain_text(change.number)
    expect(status_of(page)).to_have_text(label_of(S.AUTHORISED, language))
    expect(page.locator("#approvals")).to_contain_text("Fine, after the backup.")
    expect(page.locator(".timeline")).to_contain_text("Cab Member 2")

    as_person(page, owner, language)
    page.goto(f"/changes/{change.number}/")
    for target, status in (("scheduled", S.SCHEDULED), ("implementing", S.IMPLEMENTING),
                           ("review", S.REVIEW)):  # fmt: skip
        page.locator(f'[data-test="action-{target}"]').click()
        expect(status_of(page)).to_have_text(label_of(status, language))
    review = page.locator("#review")
    review.get_by_label(t(language, "Outcome")).select_option("successful")
    review.get_by_label(t(language, "The objectives were met")).check()
    review.get_by_label(t(language, "Lessons learnt")).fill("Take the snapshot an hour earlier.")
    page.locator('[data-test="review-submit"]').click()
    expect(page.locator('[data-test="review-result"]')).to_contain_text("Take the snapshot")
    page.locator('[data-test="action-close"]').click()
    page.get_by_role("button", name=t(language, "Close the change")).click()
    expect(status_of(page)).to_have_text(label_of(S.CLOSED, language))
    change.refresh_from_db()
    assert (change.status, change.outcome, change.objectives_met) == ("closed", "successful", True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_standard_change_from_its_template(page, estate, language):
    manager, owner, _cab = people()
    template = StandardChangeTemplate.objects.create(
        name="Rotate the database logs", default_duration=timedelta(minutes=30), **PLANS
    )
    template.configuration_items.add(estate[0])
    as_person(page, owner, language)
    page.goto("/changes/")
    page.get_by_role("link", name=t(language, "New standard change")).click()
    page.get_by_label("Rotate the database logs").check()
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=6, minute=0)
    page.get_by_label(t(language, "Planned start")).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name=t(language, "Raise the standard change")).click()
    expect(page.locator(".message-success")).to_contain_text(t(language, "Standard change raised."))
    expect(page.locator("#cis")).to_contain_text("db-server-01")
    expect(page.locator("#approvals")).to_contain_text(
        t(language, "A standard change is pre-approved.")
    )
    for target, status in (("scheduled", S.SCHEDULED), ("implementing", S.IMPLEMENTING),
                           ("review", S.REVIEW)):  # fmt: skip
        page.locator(f'[data-test="action-{target}"]').click()
        expect(status_of(page)).to_have_text(label_of(status, language))
    number = Change.objects.get().number

    # The change manager reviews it by closing it with its closure code.
    as_person(page, manager, language)
    page.goto(f"/changes/{number}/")
    page.locator('[data-test="action-close"]').click()
    page.get_by_label(t(language, "Closure code")).select_option("successful")
    page.get_by_role("button", name=t(language, "Close the change")).click()
    expect(status_of(page)).to_have_text(label_of(S.CLOSED, language))
    change = Change.objects.get()
    assert change.reviewed_by == manager and change.outcome == "successful"
