"""Checklists from templates per record type and category: put on at creation and on
recategorisation, added by hand, ticked with who and when, and holding back a resolution."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from checklists import services
from checklists.models import Checklist, ChecklistItem, ChecklistTemplate
from checklists.selectors import record_checklists
from incidents import services as incident_services
from incidents.models import Incident
from servicedesk.actors import system_actor
from servicedesk.exceptions import AlreadyExists, TransitionNotAllowed
from servicedesk.models import AuditEvent
from tests.changes.factories import raise_change
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    SupportGroupFactory,
    incident,
    transition,
)

pytestmark = pytest.mark.django_db


def template(name, record_type="incident", category=None, items=()):
    made = ChecklistTemplate.objects.create(name=name, record_type=record_type, category=category)
    for order, (title, required) in enumerate(items, start=1):
        made.items.create(title=title, required=required, order=order)
    return made


@pytest.fixture
def desk():
    agent = AgentFactory(full_name="Tara Ticker")
    group = SupportGroupFactory(members=[agent])
    network = CategoryFactory(name="Network")
    hardware = CategoryFactory(name="Hardware")
    return agent, group, network, hardware


def checklists_of(record):
    return Checklist.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    )


def test_a_new_incident_gets_its_categorys_and_its_types_checklists(desk):
    agent, group, network, hardware = desk
    template("Every incident", items=[("Confirm the impact", False)])
    template("Network outage", category=network, items=[("Check the uplink", True)])
    template("Disk swap", category=hardware, items=[("Back up", True)])
    template("Every change", record_type="change", items=[("Peer review", True)])
    record = incident(actor=agent, support_group=group, category=network)
    names = sorted(checklists_of(record).values_list("name", flat=True))
    assert names == ["Every incident", "Network outage"]
    uplink = ChecklistItem.objects.get(title="Check the uplink")
    assert uplink.required and uplink.done_at is None
    added = AuditEvent.objects.filter(object_id=record.pk, field="checklist")
    assert added.count() == 2 and {e.actor for e in added} == {system_actor()}


def test_recategorising_adds_the_new_categorys_checklist_once(desk):
    agent, group, network, hardware = desk
    template("Disk swap", category=hardware, items=[("Back up", True)])
    record = incident(actor=agent, support_group=group, category=network)
    assert not checklists_of(record).exists()
    for category in (hardware, network, hardware):
        with transaction.atomic():
            incident_services.incident_update(
                incident_id=record.pk, actor=agent, changes={"category": category}
            )
    assert list(checklists_of(record).values_list("name", flat=True)) == ["Disk swap"]


def test_required_items_hold_back_the_resolution_until_ticked(desk):
    agent, group, network, hardware = desk
    template("Network outage", category=network,
             items=[("Check the uplink", True), ("Tell the users", False)])  # fmt: skip
    record = incident(actor=agent, support_group=group, category=network, assignee=agent)
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(record, agent, "resolved")
    assert "Check the uplink" in str(refused.value) and record.number in str(refused.value)
    assert "Tell the users" not in str(refused.value)
    assert Incident.objects.get(pk=record.pk).status == "assigned"
    uplink = ChecklistItem.objects.get(title="Check the uplink")
    with transaction.atomic():
        services.checklist_item_tick(item_id=uplink.pk, actor=agent, done=True)
    uplink.refresh_from_db()
    assert uplink.done_by == agent and uplink.done_at is not None
    tick = AuditEvent.objects.get(object_id=record.pk, field="checklist", new_value=True)
    assert tick.actor == agent and tick.note == "Check the uplink" and not tick.public
    transition(record, agent, "resolved")
    assert Incident.objects.get(pk=record.pk).status == "resolved"


def test_automation_resolves_without_the_agents_checklist(desk):
    """A monitoring recovery, an import or the demo history acts as the system actor: the
    checklist is the agents' list and does not hold it back."""
    agent, group, network, hardware = desk
    template("Network outage", category=network, items=[("Check the uplink", True)])
    record = incident(actor=agent, support_group=group, category=network, assignee=agent)
    transition(record, system_actor(), "resolved")
    assert Incident.objects.get(pk=record.pk).status == "resolved"
    assert ChecklistItem.objects.get(title="Check the uplink").done_at is None


def test_unticking_is_audited_and_ticking_twice_changes_nothing(desk):
    agent, group, network, hardware = desk
    template("Every incident", items=[("Confirm the impact", True)])
    record = incident(actor=agent, support_group=group)
    item = ChecklistItem.objects.get()
    for done in (True, True, False):
        with transaction.atomic():
            services.checklist_item_tick(item_id=item.pk, actor=agent, done=done)
    item.refresh_from_db()
    assert item.done_at is None and item.done_by is None
    values = list(
        AuditEvent.objects.filter(object_id=record.pk, field="checklist", new_value__isnull=False)
        .order_by("pk").values_list("new_value", flat=True)
    )  # fmt: skip
    assert values == [True, False]


def test_end_users_cannot_tick_and_a_hand_added_checklist_is_the_types_own(desk, end_user):
    agent, group, network, hardware = desk
    change_list = template("Every change", record_type="change", items=[("Peer review", True)])
    extra = template("Security review", items=[("Scan the laptop", True)])
    extra.is_active = True
    extra.save()
    record = incident(actor=agent, support_group=group)
    item = ChecklistItem.objects.get(title="Scan the laptop")
    with pytest.raises(PermissionDenied):
        services.checklist_item_tick(item_id=item.pk, actor=end_user)
    with pytest.raises(ValidationError) as refused:
        services.checklist_add(record=record, template=change_list, actor=agent)
    assert "template" in refused.value.message_dict
    with pytest.raises(AlreadyExists):
        services.checklist_add(record=record, template=extra, actor=agent)


def test_a_change_gets_a_checklist_by_hand_and_its_page_ticks_it(client):
    owner = AgentFactory()
    group = SupportGroupFactory(members=[owner])
    change = raise_change(owner, support_group=group)
    rollout = template("Roll-out", record_type="change", items=[("Peer review", True)])
    client.force_login(owner)
    page = client.get(f"/changes/{change.number}/").content.decode()
    assert f"/checklists/{change.number}/card/" in page  # the card loads after the page
    card = client.get(f"/checklists/{change.number}/card/").content.decode()
    assert 'id="checklists"' in card and "Roll-out" in card
    response = client.post(f"/checklists/{change.number}/add/", {"template": rollout.pk})
    assert response.status_code == 302
    views = record_checklists(change)
    assert [v.checklist.name for v in views] == ["Roll-out"]
    item = views[0].items[0]
    client.post(f"/checklists/{change.number}/items/{item.pk}/tick/", {"done": "1"})
    item.refresh_from_db()
    assert item.done_by == owner
    card = client.get(f"/checklists/{change.number}/card/").content.decode()
    assert "1 of 1 done" in card


def test_an_item_of_another_record_is_a_404(desk, client):
    agent, group, network, hardware = desk
    template("Every incident", items=[("Confirm the impact", True)])
    first = incident(actor=agent, support_group=group)
    second = incident(actor=agent, support_group=group)
    item = ChecklistItem.objects.get(checklist__object_id=first.pk)
    client.force_login(agent)
    response = client.post(f"/checklists/{second.number}/items/{item.pk}/tick/", {"done": "1"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.done_at is None


def test_records_without_templates_show_no_checklist_card(desk, client):
    agent, group, network, hardware = desk
    record = incident(actor=agent, support_group=group)
    client.force_login(agent)
    card = client.get(f"/checklists/{record.number}/card/")
    assert card.status_code == 200 and card.content == b""


def test_the_api_lists_a_records_checklists_and_ticks_an_item(desk, end_user):
    from rest_framework.test import APIClient

    agent, group, network, hardware = desk
    template("Every incident", items=[("Confirm the impact", True)])
    record = incident(actor=agent, support_group=group)
    api = APIClient()
    api.force_authenticate(agent)
    listed = api.get("/api/v1/checklists/", {"record": record.number})
    assert listed.status_code == 200, listed.content
    [checklist] = listed.json()
    item = checklist["items"][0]
    assert (checklist["name"], item["title"], item["done_at"]) == (
        "Every incident", "Confirm the impact", None,
    )  # fmt: skip
    assert api.get("/api/v1/checklists/", {"record": "INC9999999"}).status_code == 400
    strict = api.post(f"/api/v1/checklists/items/{item['id']}/tick/", {"done": True, "x": 1},
                      format="json")  # fmt: skip
    assert strict.status_code == 400 and "x" in strict.json()["errors"]
    ticked = api.post(f"/api/v1/checklists/items/{item['id']}/tick/", {}, format="json")
    assert ticked.status_code == 200 and ticked.json()["done_by"]["id"] == agent.pk
    outsider = APIClient()
    outsider.force_authenticate(end_user)
    hidden = outsider.post(f"/api/v1/checklists/items/{item['id']}/tick/", {}, format="json")
    assert hidden.status_code == 404
    assert ChecklistItem.objects.get(pk=item["id"]).done_by == agent
