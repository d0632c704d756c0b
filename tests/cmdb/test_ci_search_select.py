"""The incident form's CI field at CMDB scale: the page lists only the chosen CI, the search box
fetches matches, and the choice is validated against every active CI."""

import re

import pytest
from django.db import transaction

from cmdb.models import ConfigurationItem
from incidents import services
from tests.cmdb.factories import make_ci
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db
OPTION = re.compile(r'<option value="(\d*)"[^>]*>([^<]*)</option>')


@pytest.fixture
def agent(db):
    person = AgentFactory()
    SupportGroupFactory(members=[person])
    return person


def ci_options(page: str) -> list[str]:
    select = page[page.index('name="configuration_item"') :]
    select = select[: select.index("</select>")]
    return [label for value, label in OPTION.findall(select)]


def test_the_form_lists_only_the_chosen_ci_not_the_whole_cmdb(client, agent):
    chosen = make_ci("SAN-01")
    for number in range(30):
        make_ci(f"VM-{number:03}")
    record = incident(actor=agent)
    with transaction.atomic():
        services.incident_update(
            incident_id=record.pk, actor=agent, changes={"configuration_item": chosen}
        )
    client.force_login(agent)

    create = client.get("/incidents/new/").content.decode()
    edit = client.get(f"/incidents/{record.number}/edit/").content.decode()

    assert ci_options(create) == ["---------"]
    assert ci_options(edit) == ["---------", "SAN-01"]
    assert 'hx-get="/cmdb/options/"' in create


def test_the_search_box_offers_names_starting_with_the_text_first(client, agent):
    for name in ("APP-MAIL", "MAIL-01", "MAIL-02", "SAN-01"):
        make_ci(name)
    make_ci("MAIL-OLD")
    ConfigurationItem.objects.filter(name="MAIL-OLD").update(is_active=False)
    client.force_login(agent)

    page = client.get("/cmdb/options/", {"q": "mail"}).content.decode()
    nothing = client.get("/cmdb/options/", {"q": "zzz"}).content.decode()

    assert [label for _, label in OPTION.findall(page)] == [
        "---------", "MAIL-01", "MAIL-02", "APP-MAIL",
    ]  # fmt: skip
    assert "selected>MAIL-01" in page  # typing then saving takes the first match
    assert "No configuration item matches" in nothing


def test_a_ci_chosen_by_search_is_saved_and_an_unknown_one_refused(client, agent):
    san = make_ci("SAN-01")
    client.force_login(agent)
    form = {
        "requester": agent.email, "title": "Storage slow", "impact": "medium",
        "urgency": "medium", "channel": "phone",
        "support_group": agent.support_groups.get().pk,
    }  # fmt: skip

    refused = client.post("/incidents/new/", {**form, "configuration_item": 999999})
    saved = client.post("/incidents/new/", {**form, "configuration_item": san.pk})

    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert saved.status_code == 302, re.findall(r"field-error[^>]*>([^<]*)", saved.content.decode())
    assert san.incidents.get().title == "Storage slow"


def test_end_users_cannot_search_the_cmdb(client):
    from tests.incidents.factories import EndUserFactory

    client.force_login(EndUserFactory())

    assert client.get("/cmdb/options/", {"q": "a"}).status_code == 403
