"""The agents' page of macros (issue 20): personal and shared per group, with the admin's
checks, nothing half-saved."""

import pytest
from django.urls import reverse

from incidents.models import Incident
from replies import selectors
from replies.models import Macro
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db

BLANK = {
    "name": "", "support_group": "", "record_type": "", "assign_group": "", "assign_agent": "",
    "response": "", "visibility": "public", "add_tags": "", "status": "", "pending_reason": "",
}  # fmt: skip


def form(**values):
    return {**BLANK, **values}


@pytest.fixture
def desk():
    agent = AgentFactory(full_name="Arash Agent")
    other = AgentFactory(full_name="Olga Other")
    group = SupportGroupFactory(name="Network", members=[agent])
    record = incident(actor=agent, support_group=group)
    return agent, other, group, record


def listed(client, user) -> str:
    """The macros page as `user` sees it (a new session: no message left from before)."""
    client.logout()
    client.force_login(user)
    return client.get(reverse("replies:macros")).content.decode()


def test_an_agent_creates_a_personal_macro_applies_it_and_nobody_else_sees_it(client, desk):
    agent, other, _group, record = desk
    client.force_login(agent)
    answer = client.post(reverse("replies:macros"), form(
        name="Supplier hold", record_type="incident", status="pending",
        pending_reason="supplier", add_tags="Supplier, VPN",
    ))  # fmt: skip
    assert answer.status_code == 302
    macro = Macro.objects.get(name="Supplier hold")
    assert (macro.owner, macro.support_group, macro.add_tags) == (agent, None, "supplier, vpn")
    page = client.get(reverse("replies:macros"))
    assert "Macro “Supplier hold” saved." in page.content.decode()

    client.post(reverse("replies:apply", args=[record.number]), {"macro": macro.pk})
    record = Incident.objects.get(pk=record.pk)
    assert (record.status, record.pending_reason) == ("pending", "supplier")
    assert selectors.record_tags(record) == ["supplier", "vpn"]

    assert "Supplier hold" not in listed(client, other)
    assert client.get(reverse("replies:macro_edit", args=[macro.pk])).status_code == 404
    assert client.post(reverse("replies:macro_delete", args=[macro.pk])).status_code == 404
    assert not selectors.macros_for(other).filter(pk=macro.pk).exists()
    assert Macro.objects.filter(pk=macro.pk).exists()


def test_a_groups_macro_is_seen_and_changed_by_its_members_only(client, desk):
    agent, other, group, _record = desk
    lead = AgentFactory(full_name="Lina Lead")
    group.lead = lead
    group.save()
    client.force_login(agent)
    client.post(reverse("replies:macros"), form(name="Escalate", support_group=group.pk,
                                                assign_group=group.pk))  # fmt: skip
    macro = Macro.objects.get(name="Escalate")
    assert (macro.owner, macro.support_group, macro.assign_group) == (None, group, group)
    Macro.objects.create(name="Everyone's close", status="resolved")

    assert "Escalate" in listed(client, lead)
    answer = client.post(reverse("replies:macro_edit", args=[macro.pk]),
                         form(name="Escalate now", support_group=group.pk, add_tags="urgent"))  # fmt: skip
    assert answer.status_code == 302
    macro.refresh_from_db()
    assert (macro.name, macro.add_tags, macro.assign_group) == ("Escalate now", "urgent", None)

    page = listed(client, other)
    assert "Escalate" not in page and "Everyone&#x27;s close" in page
    assert reverse("replies:macro_edit", args=[macro.pk]) not in page
    assert client.post(reverse("replies:macro_delete", args=[macro.pk])).status_code == 404
    # Sharing with a group one is not in is refused.
    refused = client.post(reverse("replies:macros"), form(name="Mine", support_group=group.pk,
                                                          add_tags="x"))  # fmt: skip
    assert refused.status_code == 400 and not Macro.objects.filter(name="Mine").exists()

    client.force_login(agent)
    client.post(reverse("replies:macro_delete", args=[macro.pk]))
    assert not Macro.objects.filter(pk=macro.pk).exists()
    assert "Macro “Escalate now” deleted." in client.get(reverse("replies:macros")).content.decode()


def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, desk):
    agent, _other, _group, _record = desk
    client.force_login(agent)
    nothing = client.post(reverse("replies:macros"), form(name="Nothing"))
    assert nothing.status_code == 400
    assert "Choose at least one action: assign, reply, tags or status." in nothing.content.decode()
    wrong = client.post(reverse("replies:macros"),
                        form(name="Odd", record_type="incident", status="rejected"))  # fmt: skip
    assert wrong.status_code == 400
    assert "No record type here has this status." in wrong.content.decode()
    assert not Macro.objects.exists()

    macro = Macro.objects.create(name="Tagger", owner=agent, add_tags="vpn")
    kept = client.post(reverse("replies:macro_edit", args=[macro.pk]),
                       form(name="Tagger", record_type="incident", status="rejected"))  # fmt: skip
    assert kept.status_code == 400
    macro.refresh_from_db()
    assert (macro.record_type, macro.status, macro.add_tags) == ("", "", "vpn")


def test_the_workspace_links_the_macros_page(client, desk):
    agent, _other, _group, _record = desk
    client.force_login(agent)
    assert reverse("replies:macros") in client.get(reverse("workspace")).content.decode()
