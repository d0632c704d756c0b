"""The knowledge journey in a real browser, in English and in Persian (issue 15, part 10): an agent
writes an article from a resolved incident and submits it, the knowledge manager reviews and
publishes it, and an end user typing a matching problem in the portal's new-incident form is
offered it, reads it and says it helped."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.roles import Role
from knowledge.models import Article
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.incidents.factories import incident_in

LANGUAGES = ["en", "fa"]


def switch_user(page, user, language):
    page.context.clear_cookies()
    user.language = language
    user.save(update_fields=["language"])
    sign_in(page, user.email, PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_article_from_a_resolved_incident_reviewed_published_and_offered(page, db, language):
    agent = UserFactory(role=Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    manager = UserFactory(role=Role.KNOWLEDGE_MANAGER, email="kian@example.com",
                          full_name="Kian Knowledge")  # fmt: skip
    emma = UserFactory(role=Role.END_USER, email="emma@example.com", full_name="Emma Wilson")
    incident = incident_in(
        "resolved", agent=agent, title="VPN drops every hour at home",
        description="The VPN tunnel disconnects every hour when working from home.",
    )  # fmt: skip

    def t(text):
        with translation.override(language):
            return translation.gettext(text)

    # The agent starts an article from the resolved incident: title, symptoms and resolution
    # are filled in and the preview renders them.
    switch_user(page, agent, language)
    page.goto("/knowledge/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    page.get_by_label(t("Resolved ticket or known error")).fill(incident.number)
    page.get_by_role("button", name=t("Start the article")).click()
    expect(page.locator("[data-test=source]")).to_contain_text(incident.number)
    expect(page.locator("#id_title")).to_have_value(incident.title)
    preview = page.locator("[data-test=preview]")
    expect(preview.locator("h2").first).to_have_text(t("Symptoms"))
    expect(preview).to_contain_text("Replaced the faulty cable")
    page.locator("#id_keywords").fill("tunnel remote")
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page.locator("[data-test=status]")).to_have_text(t("Draft"))
    page.get_by_role("button", name=t("Submit for review")).click()
    expect(page.locator("[data-test=status]")).to_have_text(t("In review"))
    expect(page.get_by_role("button", name=t("Publish"))).to_have_count(0)
    article = Article.objects.get()
    assert (article.source_number, article.author) == (incident.number, agent)

    # The knowledge manager finds it waiting for review and publishes it.
    switch_user(page, manager, language)
    page.goto("/knowledge/")
    page.get_by_role("link", name=t("Waiting for review")).click()
    page.locator("[data-test=articles]").get_by_role("link", name=incident.title).click()
    page.get_by_role("button", name=t("Publish")).click()
    expect(page.locator("[data-test=status]")).to_have_text(t("Published"))
    article.refresh_from_db()
    assert article.status == "published" and article.review_by is not None

    # An end user typing the problem in the portal is offered the article, reads it, says it helped.
    switch_user(page, emma, language)
    page.goto("/portal/incidents/new/")
    page.get_by_label(t("What is wrong?")).press_sequentially("vpn drops", delay=20)
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_contain_text(incident.title)
    suggestions.get_by_role("link", name=incident.title).click()
    expect(page.locator("[data-test=article] h1")).to_have_text(incident.title)
    expect(page.locator("[data-test=article] h2").first).to_have_text(t("Symptoms"))
    page.get_by_role("button", name=t("Yes"), exact=True).click()
    expect(page.locator("[data-test=your-vote]")).to_have_text(t("You said it helped."))
    article.refresh_from_db()
    assert (article.views, article.helpful) == (2, 1)
