"""The known-error database in a real browser, in English and in Persian: an agent working a
new incident finds the known error in the incident page's panel and applies its workaround;
the reply is on the timeline and the panel says it was applied."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services
from problems.kedb.models import WorkaroundUse
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.problems.factories import known_error


@pytest.fixture
def desk(make_user, request):
    language = request.param
    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash", language=language)
    group = SupportGroup.objects.create(name="Network")
    group.members.add(agent)
    problem = known_error(
        title="Wi-Fi drops in the meeting rooms",
        workaround="<p>Join the Office-5G network until the access points are updated.</p>",
    )
    with transaction.atomic():
        incident = services.incident_create(
            actor=agent, title="Wi-Fi drops during my call", impact="medium", urgency="medium",
            support_group=group,
        )  # fmt: skip
    return language, agent, problem, incident


@pytest.mark.parametrize("desk", ["en", "fa"], indirect=True)
def test_an_agent_applies_a_known_errors_workaround_from_the_incident_page(page, desk):
    language, agent, problem, incident = desk
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{incident.number}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    proposal = page.locator(f"#known-errors [data-known-error='{problem.number}']")
    expect(proposal).to_be_visible()
    proposal.locator("summary").click()
    expect(proposal).to_contain_text("Office-5G")
    proposal.locator("button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text("Office-5G")
    expect(
        page.locator(f"#known-errors [data-known-error='{problem.number}'] .badge-accent").last
    ).to_be_visible()
    assert WorkaroundUse.objects.filter(incident=incident, problem=problem).count() == 1
