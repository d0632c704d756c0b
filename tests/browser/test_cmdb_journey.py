"""The CMDB in a real browser: a configuration manager creates a CI with typed attributes,
relates it, opens impact analysis and sees the downstream business service (graph and list);
an agent sets a CI on an incident and accepts the impact the CMDB proposes."""

import pytest
from playwright.sync_api import expect

from accounts.models import SupportGroup
from accounts.roles import Role
from cmdb.models import ConfigurationItem, Relationship
from incidents.models import Incident
from tests.browser.conftest import sign_in
from tests.cmdb.factories import make_ci, relate
from tests.factories import PASSWORD


@pytest.fixture
def estate():
    app = make_ci("APP-ERP", "application", criticality=4)
    erp = make_ci("BS ERP", "business_service", criticality=4)
    relate(erp, app)
    return {"app": app, "erp": erp}


def test_a_configuration_manager_adds_a_server_and_sees_what_breaks(page, make_user, estate):
    manager = make_user(Role.CONFIGURATION_MANAGER, email="carlos@example.com")
    sign_in(page, manager.email, PASSWORD)
    page.goto("/cmdb/")
    page.get_by_role("link", name="New configuration item").click()
    # The class select reloads the form through htmx: wait until its scripts have run, or on a
    # busy machine the choice can come before anything listens for it.
    page.wait_for_load_state("load")
    page.get_by_label("Name").fill("SRV-ERP-01")
    page.get_by_label("Class").select_option(label="Server")
    # Choosing the class reloads the form with the server's own attributes.
    expect(page.get_by_label("CPU cores")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("SRV-ERP-01")
    page.get_by_label("Criticality").select_option(label="Critical")
    page.get_by_label("CPU cores").fill("many")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-invalid")).to_contain_text("Enter a number.")
    assert not ConfigurationItem.objects.filter(name="SRV-ERP-01").exists()
    page.get_by_label("CPU cores").fill("48")
    page.get_by_label("Warranty end").fill("2028-06-30")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".message-success")).to_contain_text("SRV-ERP-01 created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("SRV-ERP-01")
    server = ConfigurationItem.objects.get(name="SRV-ERP-01")
    assert server.attributes == {"cpu_cores": 48, "warranty_end": "2028-06-30"}

    # APP-ERP runs on the new server.
    page.get_by_label("Direction").select_option("in")
    page.get_by_label("Relationship type").select_option(label="runs on")
    page.get_by_label("Other configuration item").fill("APP-ERP")
    page.get_by_role("button", name="Relate").click()
    expect(page.locator(".message-success")).to_contain_text("Relationship added.")
    assert Relationship.objects.filter(source=estate["app"], target=server, type="runs_on").exists()
    expect(page.locator(".timeline")).to_contain_text("Relationship added: hosts APP-ERP")

    page.get_by_role("link", name="Impact analysis").click()
    expect(page.locator("#impacted-services")).to_contain_text("BS ERP")
    expect(page.locator("#impact-list")).to_contain_text("APP-ERP")
    # The graph is drawn from the JSON endpoint: the CI, the application and the service.
    expect(page.locator("#impact-graph[data-ready='3'] canvas").first).to_be_attached()


def test_an_agent_sets_a_ci_on_an_incident_and_accepts_the_proposed_impact(page, make_user, estate):
    from incidents import services

    agent = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    group = SupportGroup.objects.create(name="Service Desk")
    group.members.add(agent)
    incident = services.incident_create(
        actor=agent, title="ERP is down for everyone", impact="low", urgency="high",
        support_group=group,
    )  # fmt: skip
    sign_in(page, agent.email, PASSWORD)
    page.goto(f"/incidents/{incident.number}/")
    expect(page.locator("#impact-proposal")).to_contain_text("Set a configuration item")
    page.get_by_role("link", name="Edit", exact=True).click()
    # The CI field lists only the chosen CI: the agent searches, the matches fill the select.
    search = page.get_by_label("Search by name")
    expect(search).to_be_visible()
    expect(page.locator(".htmx-settling, .htmx-swapping")).to_have_count(0)  # htmx wired it up
    search.press_sequentially("app-e", delay=40)
    choice = page.get_by_label("Configuration item", exact=True)
    expect(choice.locator("option:checked")).to_have_text("APP-ERP")
    page.get_by_role("button", name="Save").click()

    proposal = page.locator("#impact-proposal")
    expect(proposal).to_contain_text("1 business service depends on APP-ERP")
    expect(proposal.locator("#proposed-impact")).to_have_text("High")
    proposal.get_by_role("button", name="Accept proposed impact").click()
    expect(page.locator(".message-success")).to_contain_text("Impact set to High.")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.impact == "high" and incident.priority == 1
    expect(page.locator("#impact-proposal")).to_contain_text("accepted")
