"""The change calendar and an emergency change in a blackout, in a real browser:

1. (English and Chinese) a year-end blackout on every change is on; an agent raises an
   emergency change on the database server inside it, submits it, the emergency CAB's two
   members on call approve, the owner schedules it: it is scheduled (a normal change would be
   refused) with the blackout and its reason among its collisions and the system's warning in
   the timeline; the change calendar shows the blackout on the day and the change in it;
2. (English, Chinese and Persian, right to left) the calendar's keyboard steps: "n" the next
   month, "p" back, "t" today, "d" and "w" the day and week views; a filter by risk; in Persian
   the page runs right to left and "Previous" sits on the right of "Next".

Labels are looked up through gettext in the person's language.
"""

import re
from datetime import timedelta

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from changes.choices import ChangeStatus as S
from changes.models import BlackoutWindow, Change
from tests.browser.test_change_journey import as_person, label_of, status_of, t
from tests.changes.factories import PLANS, people
from tests.changes.test_collisions import scheduled_change
from tests.cmdb.factories import make_ci, relate

LANGUAGES = ["en", "zh-hans"]


@pytest.fixture
def server(db):
    server = make_ci("db-server-01")
    relate(make_ci("Payroll", "business_service", criticality=4), server)
    return server


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_emergency_change_during_a_blackout(page, server, language):
    page.set_default_timeout(30_000)  # a shared, loaded machine
    _manager, owner, cab = people()
    start = (timezone.localtime() + timedelta(days=2)).replace(hour=1, minute=0, second=0)
    BlackoutWindow.objects.create(
        name="Year-end freeze", reason="The books are being closed",
        starts_at=start - timedelta(days=1), ends_at=start + timedelta(days=2),
    )  # fmt: skip
    as_person(page, owner, language)
    page.goto("/changes/new/")
    page.get_by_label(t(language, "Title")).fill("Patch the exploited database server")
    page.locator("#id_change_type").select_option("emergency")
    page.get_by_label(t(language, "Reason")).fill("A vulnerability is exploited.")
    search = page.get_by_label(t(language, "Search by name"))
    expect(page.locator(".htmx-settling, .htmx-swapping")).to_have_count(0)
    search.press_sequentially("db-ser", delay=40)
    choice = page.get_by_label(t(language, "Affected CI"), exact=True)
    expect(choice.locator("option:checked")).to_have_text("db-server-01")
    page.get_by_label(t(language, "Implementation plan")).fill(PLANS["implementation_plan"])
    page.get_by_label(t(language, "Back-out plan")).fill(PLANS["backout_plan"])
    page.get_by_label(t(language, "Planned start")).fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(t(language, "Planned end")).fill(
        (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name=t(language, "Raise the change")).click()
    expect(page.locator(".message-success")).to_contain_text(t(language, "Change raised."))
    change = Change.objects.get()
    assert change.change_type == "emergency"
    collisions = page.locator('[data-test="collisions"]')
    expect(collisions).to_contain_text("Year-end freeze")
    expect(collisions).to_contain_text("The books are being closed")

    page.locator('[data-test="action-assessed"]').click()
    expect(status_of(page)).to_have_text(label_of(S.ASSESSED, language))
    # The emergency CAB: its two members on call, quorum 2.
    for member in cab[:2]:
        as_person(page, member, language)
        page.goto(f"/changes/{change.number}/")
        page.locator('[data-test="decide"]').get_by_role(
            "button", name=t(language, "Approve")
        ).click()
        expect(page.locator(".message-success")).to_contain_text(change.number)
    expect(status_of(page)).to_have_text(label_of(S.AUTHORISED, language))

    as_person(page, owner, language)
    page.goto(f"/changes/{change.number}/")
    page.locator('[data-test="action-scheduled"]').click()
    expect(status_of(page)).to_have_text(label_of(S.SCHEDULED, language))
    expect(page.locator(".timeline")).to_contain_text(
        t(language, "Emergency change scheduled inside a blackout. Collisions found:")
    )
    expect(page.locator(".timeline")).to_contain_text("The books are being closed")

    # The calendar: the blackout on the change's day, the change in it.
    page.goto(f"/changes/calendar/?view=month&date={start.date().isoformat()}")
    cell = page.locator(f'.cal-cell[data-date="{start.date().isoformat()}"]')
    expect(cell.locator(".cal-band-blackout")).to_contain_text("Year-end freeze")
    expect(cell.locator(f'[data-number="{change.number}"]')).to_have_class(
        re.compile("is-emergency")
    )
    expect(page.locator('[data-test="cal-windows"]')).to_contain_text("The books are being closed")


def month_title(language, day):
    with translation.override(language):
        return formats.date_format(day, "YEAR_MONTH_FORMAT")


@pytest.mark.parametrize("language", [*LANGUAGES, "fa"])
def test_the_calendar_by_keyboard_and_right_to_left(page, server, language):
    page.set_default_timeout(30_000)  # a shared, loaded machine
    _manager, owner, _cab = people()
    today = timezone.localdate()
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    at = timezone.make_aware(timezone.datetime(following.year, following.month, 12, 9))  # noqa: DTZ001
    high = scheduled_change(owner, server, title="Swap the array", planned_start=at,
                            planned_end=at + timedelta(hours=2))  # fmt: skip
    low = scheduled_change(owner, server, title="Rotate logs", planned_start=at,
                           planned_end=at + timedelta(hours=1))  # fmt: skip
    Change.objects.filter(pk=high.pk).update(risk_level="high")
    Change.objects.filter(pk=low.pk).update(risk_level="low")
    as_person(page, owner, language)
    page.goto("/changes/")
    page.locator('[data-test="change-calendar"]').click()
    title = page.locator('[data-test="cal-title"]')
    expect(title).to_have_text(month_title(language, today))

    page.keyboard.press("n")
    expect(title).to_have_text(month_title(language, following))
    cell = page.locator(f'.cal-cell[data-date="{at.date().isoformat()}"]')
    expect(cell.locator('[data-test="cal-entry"]')).to_have_count(2)
    page.keyboard.press("p")
    expect(title).to_have_text(month_title(language, today))
    page.keyboard.press("n")
    expect(title).to_have_text(month_title(language, following))
    page.keyboard.press("t")
    expect(title).to_have_text(month_title(language, today))

    # A day by its link, then its week by key; the filter keeps the high-risk change only.
    page.goto(f"/changes/calendar/?view=day&date={at.date().isoformat()}")
    expect(page.locator('[data-test="cal-day"] [data-test="cal-entry"]')).to_have_count(2)
    page.get_by_label(t(language, "Risk"), exact=True).select_option("high")
    page.get_by_role("button", name=t(language, "Filter")).click()
    entries = page.locator('[data-test="cal-day"] [data-test="cal-entry"]')
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text("Swap the array")
    page.keyboard.press("w")
    expect(page.locator(".cal-grid.cal-week")).to_be_visible()
    expect(page.locator('[data-test="cal-entry"]')).to_have_count(1)

    direction = page.evaluate("document.documentElement.dir")
    previous = page.locator('[data-test="cal-previous"]').bounding_box()
    following_box = page.locator('[data-test="cal-next"]').bounding_box()
    if language == "fa":
        assert direction == "rtl"
        assert previous["x"] > following_box["x"]  # the start of the line is on the right
    else:
        assert direction == "ltr"
        assert previous["x"] < following_box["x"]
