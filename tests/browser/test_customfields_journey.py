"""Custom fields in a real browser, in English and in Persian (issue 20, parts 5 and 10): an
agent logs an incident with the fields an administrator defined (a number given text is refused
on the form, nothing saved), sees them on the record page and changes them from its card, then
shows one as a column of the queue and filters the queue on another."""

from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from customfields import selectors
from customfields.models import CustomField
from incidents.models import Incident
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
LABELS = {
    "en": {"users": "Users affected", "site": "Site"},
    "fa": {"users": "کاربران متأثر", "site": "محل"},
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_an_agent_fills_edits_shows_and_filters_custom_fields(page, db, language):
    agent = UserFactory(role=Role.AGENT, email="arash@example.com", full_name="Arash Agent",
                        language=language)  # fmt: skip
    group = SupportGroup.objects.create(name="Service Desk")
    group.members.add(agent)
    CustomField.objects.create(
        record_type="incident", name="users_affected", label="Users affected",
        labels={"fa": LABELS["fa"]["users"]}, field_type="number", required=True, min_value=1,
        order=1,
    )  # fmt: skip
    CustomField.objects.create(
        record_type="incident", name="site", label="Site", labels={"fa": LABELS["fa"]["site"]},
        field_type="choice", choices="Tehran\nLondon", order=2,
    )  # fmt: skip
    label = LABELS[language]

    def t(text):
        with translation.override(language):
            return translation.gettext(text)

    sign_in(page, agent.email, PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/incidents/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    page.locator("#id_requester").fill(agent.email)
    page.locator("#id_title").fill("Switch down on floor 3")
    page.locator("#id_support_group").select_option(str(group.pk))
    fields = page.locator("[data-test=custom-fields]")
    # Text in the number box (as a script or an old browser would send it): refused on the form.
    fields.get_by_label(label["users"]).evaluate("box => box.type = 'text'")
    fields.get_by_label(label["users"]).fill("many")
    page.get_by_role("button", name=t("Log the incident")).click()
    expect(page.locator("[data-test=custom-fields] .field-error")).to_have_text(
        t("Enter a number.")
    )
    assert not Incident.objects.exists()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"customfields-create-{language}.png"), full_page=True)
    fields.get_by_label(label["users"]).fill("25")
    fields.get_by_label(label["site"]).select_option("London")
    page.get_by_role("button", name=t("Log the incident")).click()

    card = page.locator("#custom-fields")
    expect(card).to_contain_text(label["users"])
    expect(card.locator("[data-field=users_affected]")).to_have_text("25")
    expect(card.locator("[data-field=site]")).to_have_text("London")
    incident = Incident.objects.get()
    assert selectors.as_data(incident) == {"users_affected": "25", "site": "London"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"customfields-record-{language}.png"), full_page=True)

    # From the record page's card: a bad number is a message naming the field, nothing saved.
    card.locator("summary").click()
    card.get_by_label(label["users"]).evaluate("box => box.type = 'text'")
    card.get_by_label(label["users"]).fill("lots")
    card.get_by_role("button", name=t("Save")).click()
    expect(page.locator(".message-error")).to_contain_text(label["users"])
    assert selectors.as_data(incident)["users_affected"] == "25"
    page.locator("#custom-fields summary").click()
    page.locator("#custom-fields").get_by_label(label["users"]).fill("40")
    page.locator("#custom-fields").get_by_label(label["site"]).select_option("Tehran")
    page.locator("#custom-fields").get_by_role("button", name=t("Save")).click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("#custom-fields [data-field=site]")).to_have_text("Tehran")

    # The queue: the column chosen, the filter on a value.
    page.goto("/incidents/?queue=all&columns=users_affected&custom_field=site&custom_value=Tehran")
    table = page.locator("#queue-table")
    expect(table.locator("th.col-custom")).to_have_text(label["users"])
    expect(table.locator("td.col-custom")).to_have_text("40")
    expect(table).to_contain_text(incident.number)
    page.screenshot(path=str(SHOTS / f"customfields-queue-{language}.png"), full_page=True)
    page.goto("/incidents/?queue=all&custom_field=site&custom_value=London")
    expect(page.locator("#queue-table")).not_to_contain_text(incident.number)
