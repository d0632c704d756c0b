"""Canned responses, tags, watchers and macros in a real browser, in English and in Persian
(issue 20, parts 1, 6 and 10): an agent inserts a canned response from the reply box with the
keyboard (filled in for the record, in its requester's language), tags the incident, adds the
requester's colleague as a watcher, makes a macro for the group on the agents' page (a status the
record type lacks is refused first) and applies it, then filters the queue by tag and tags
another incident from the bulk bar."""

from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import Organisation
from accounts.roles import Role
from inbound.models import Watcher
from incidents.models import Incident
from replies.models import CannedResponse, CannedText, Macro
from replies.selectors import record_tags
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.incidents.factories import SupportGroupFactory, incident

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_an_agent_replies_with_a_canned_response_tags_watches_and_applies_a_macro(
    page, db, language
):
    def t(text):
        with translation.override(language):
            return translation.gettext(text)

    agent = UserFactory(role=Role.AGENT, email="arash@example.com", full_name="Arash Agent",
                        language=language)  # fmt: skip
    group = SupportGroupFactory(name="Network", members=[agent])
    acme = Organisation.objects.create(name="Acme")
    requester = UserFactory(role=Role.END_USER, email="sara@acme.example", full_name="Sara Karimi",
                            organisation=acme, language=language)  # fmt: skip
    UserFactory(
        role=Role.END_USER, email="tom@acme.example", full_name="Tom Colleague", organisation=acme
    )
    record = incident(actor=agent, support_group=group, requester=requester, title="VPN drops")
    other = incident(actor=agent, support_group=group, title="Printer jams")
    waiting = CannedResponse.objects.create(name="Waiting for the supplier", support_group=group)
    CannedText.objects.create(response=waiting, language="en",
                              body="Dear {{ requester_name }}, {{ number }} waits for our supplier.")  # fmt: skip
    CannedText.objects.create(response=waiting, language="fa",
                              body="{{ requester_name }} عزیز، {{ number }} منتظر تامین‌کننده است.")  # fmt: skip
    other_response = CannedResponse.objects.create(name="Password reset", support_group=group)
    CannedText.objects.create(
        response=other_response, language="en", body="Your password is reset."
    )

    sign_in(page, agent.email, PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])

    # The macro is made on the agents' page, reached from the workspace, shared with the group.
    page.goto("/workspace/")
    page.locator("[data-test=macros]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    page.locator("#id_name").fill("Supplier hold")
    page.locator("#id_support_group").select_option(str(group.pk))
    page.locator("#id_record_type").select_option("incident")
    page.locator("#id_status").select_option("rejected")  # a change's status, not an incident's
    page.locator("#id_add_tags").fill("Supplier")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".field-error")).to_contain_text(t("No record type here has this status."))
    assert not Macro.objects.exists()
    page.locator("#id_status").select_option("pending")
    page.locator("#id_pending_reason").fill("supplier")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".message-success")).to_contain_text("Supplier hold")
    expect(page.locator("[data-test=macro-row]")).to_contain_text("Network")
    page.screenshot(path=str(SHOTS / f"replies-macros-{language}.png"), full_page=True)
    assert Macro.objects.get().support_group == group
    page.goto(f"/incidents/{record.number}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")

    # The reply box: "::" opens the picker, typing filters it, Enter inserts the filled-in text.
    box = page.locator("textarea[name=body]")
    box.click()
    box.press_sequentially("::")
    search = page.locator("#canned-search")
    expect(search).to_be_focused()
    search.press_sequentially("suppl")
    expect(page.locator("#canned-list [role=option]")).to_have_count(1)
    page.screenshot(path=str(SHOTS / f"replies-picker-{language}.png"), full_page=False)
    search.press("Enter")
    if language == "fa":
        expected = f"Sara Karimi عزیز، {record.number} منتظر تامین‌کننده است."
    else:
        expected = f"Dear Sara Karimi, {record.number} waits for our supplier."
    expect(box).to_have_value(expected)
    expect(box).to_be_focused()
    page.locator("input[name=visibility][value=public]").check()
    page.locator("form.composer button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text(expected)

    # Tags: two added (normalised), one removed.
    tags = page.locator("#tags")
    tags.locator("#id_tags").fill("VPN, Home Office")
    tags.locator("button[type=submit]", has_text=t("Tag")).click()
    expect(page.locator("#tags .tag-chip")).to_have_count(2)
    expect(page.locator("#tags")).to_contain_text("home-office")
    page.locator("#tags .tag-chip", has_text="home-office").locator("button").click()
    expect(page.locator("#tags .tag-chip")).to_have_count(1)

    # Watchers: the requester's colleague is offered first.
    watchers = page.locator("#watchers")
    watchers.locator("#id_watch_user").select_option(label="Tom Colleague (tom@acme.example)")
    watchers.locator("button[type=submit]", has_text=t("Include in updates")).click()
    expect(page.locator("#watchers [data-test=watchers]")).to_contain_text("tom@acme.example")
    assert Watcher.objects.get().address == "tom@acme.example"

    # A macro: pending (waiting for the supplier) and tagged, in one click.
    page.locator("#tags #id_macro").select_option(label="Supplier hold")
    page.locator("#tags button", has_text=t("Apply macro")).click()
    expect(page.locator(".message-success")).to_contain_text("Supplier hold")
    page.screenshot(path=str(SHOTS / f"replies-record-{language}.png"), full_page=True)
    record.refresh_from_db()
    assert (record.status, record.pending_reason) == ("pending", "supplier")
    assert record_tags(record) == ["supplier", "vpn"]

    # The queue filtered by tag shows it alone; the bulk bar tags another incident.
    page.goto("/incidents/?queue=all&tag=VPN")
    expect(page.locator(".queue-table")).to_contain_text(record.number)
    expect(page.locator(".queue-table")).not_to_contain_text(other.number)
    page.goto("/incidents/?queue=all")
    page.locator(f"input[name=incidents][value='{other.pk}']").check()
    page.locator("#bulk-tags").fill("printers")
    page.locator(".bulk-extra button[value=tag]").click()
    expect(page.locator(".message-success")).to_contain_text(other.number)
    page.screenshot(path=str(SHOTS / f"replies-queue-{language}.png"), full_page=False)
    assert record_tags(Incident.objects.get(pk=other.pk)) == ["printers"]
