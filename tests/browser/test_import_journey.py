"""Importing from another tool in a real browser, in English and in Persian (right to left):
an administrator uploads a CSV with that tool's column names, is taken to the mapping editor,
picks the field each column feeds (seeing its first values), maps the tool's statuses and
levels (a status left unmapped is a message on the form), names and saves the mapping, sees
the dry run's report, imports for real and finds the records in the incident queue."""

import shutil
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.roles import Role
from incidents.models import Incident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD
from transfer.models import ImportMapping

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FILE = (
    b"Ticket ID;State;Opened on;Summary;Sev;Urg;Team;Colour\n"
    b"OT-1;Open;2026-03-02 09:00:00;Printer on floor 2 jams;Major;Soon;Service Desk;red\n"
    b"OT-2;Done;2026-03-02 10:00:00;VPN drops every hour;Minor;Later;Network;blue\n"
    b"OT-3;Waiting on customer;2026-03-03 08:00:00;Shared mailbox bounces;Major;Later;"
    b"Service Desk;green\n"
)
COLUMNS = {"Ticket ID": "number", "State": "status", "Opened on": "opened_at",
           "Summary": "title", "Sev": "impact", "Urg": "urgency", "Team": "group"}  # fmt: skip


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS / f"{name}.png")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_an_administrator_maps_a_foreign_file_checks_and_imports_it(page, make_user, language):
    admin = make_user(Role.ADMINISTRATOR, email="ada@example.com", full_name="Ada Admin",
                      language=language)  # fmt: skip
    suffix = "" if language == "en" else f"-{language}"
    sign_in(page, admin.email, PASSWORD)
    page.goto("/imports/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    form = page.locator("[data-test=import-form]")
    form.locator("input[type=file]").set_input_files(
        {"name": "oldtool.csv", "mimeType": "text/csv", "buffer": FILE}
    )
    form.locator("select[name=format]").select_option("csv")
    form.locator("input[name=create_missing]").check()
    form.locator("[data-test=check]").click()

    # Its columns are not the format's: the editor, each column with its first values.
    expect(page).to_have_url(f"{page.url.split('/imports/')[0]}/imports/"
                             f"{page.url.split('/imports/')[1].split('/')[0]}/mapping/")  # fmt: skip
    table = page.locator("[data-test=columns]")
    expect(table).to_contain_text("Ticket ID")
    expect(table.locator("tr", has_text="Summary")).to_contain_text("Printer on floor 2 jams")
    rows = table.locator("tbody tr")
    for n in range(rows.count()):
        column = rows.nth(n).locator("[data-column]").text_content()
        rows.nth(n).locator("select").select_option(COLUMNS.get(column, ""))
    # Keyboard only: the button is reached and pressed like any other.
    page.locator("[data-test=refresh]").focus()
    page.keyboard.press("Enter")

    statuses = page.locator("[data-test=values-status]")
    expect(statuses).to_contain_text("Waiting on customer")
    statuses.locator("tr", has_text="Open").locator("select").select_option("in_progress")
    statuses.locator("tr", has_text="Done").locator("select").select_option("resolved")
    for axis, high, low in (("impact", "Major", "Minor"), ("urgency", "Soon", "Later")):
        card = page.locator(f"[data-test=values-{axis}]")
        card.locator("tr", has_text=high).locator("select").select_option("1")
        card.locator("tr", has_text=low).locator("select").select_option("3")
    page.locator("input[name=name]").fill("Old tool")
    page.locator("input[name=source]").fill("oldtool")
    page.locator("[data-test=save-mapping]").click()
    # One status left unmapped: said on the form, nothing saved.
    expect(page.locator("[data-test=values-error]")).to_contain_text("Waiting on customer")
    assert not ImportMapping.objects.exists()
    shot(page, f"import-mapping{suffix}")

    page.locator("[data-test=values-status] tr", has_text="Waiting on customer").locator(
        "select"
    ).select_option("pending:customer")
    page.locator("[data-test=save-mapping]").click()

    # The dry run with the saved mapping: checked, nothing written, then for real.
    expect(page.locator("[data-test=errors]")).to_have_text("0")
    expect(page.locator("[data-test=run]")).to_be_visible()
    assert ImportMapping.objects.get().columns["title"] == "Summary"
    assert Incident.objects.count() == 0
    with translation.override(language):
        title = translation.gettext("Title")
    expect(page.locator("[data-test=preview]")).to_contain_text(f"→ {title}")
    shot(page, f"import-checked{suffix}")
    page.locator("[data-test=run]").click()
    expect(page.locator("[data-test=written]")).to_have_text("3 / 3")

    page.goto("/incidents/?queue=all")
    for title in ("Printer on floor 2 jams", "VPN drops every hour", "Shared mailbox bounces"):
        expect(page.locator("main")).to_contain_text(title)
    waiting = Incident.objects.get(title="Shared mailbox bounces")
    assert (waiting.status, waiting.pending_reason, waiting.impact) == (
        "pending",
        "customer",
        "high",
    )
