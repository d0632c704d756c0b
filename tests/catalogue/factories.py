"""Factories for the catalogue: services, offerings, items with forms, approvals and tasks.

`laptop_setup()` builds the journey's world: an end user with a manager, a laptop item that
needs the manager's approval and has two sequential fulfilment tasks for two support groups.
"""

from types import SimpleNamespace

import factory

from accounts.roles import Role
from catalogue.models import (
    ApprovalRule,
    FieldType,
    RequestField,
    RequestItem,
    Service,
    ServiceOffering,
    TaskTemplate,
)
from tests.factories import SupportGroupFactory, UserFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Catalogue service {n}")
    description = "A service people order from."


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOffering

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Offering {n}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestItem

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Item {n}")


def field(item, name, field_type=FieldType.TEXT, **kw):
    kw.setdefault("label", name.replace("_", " ").capitalize())
    return RequestField.objects.create(item=item, name=name, field_type=field_type, **kw)


def laptop_setup():
    requester = UserFactory(role=Role.END_USER, email="emma@example.com", full_name="Emma Wilson")
    boss = UserFactory(role=Role.END_USER, email="omid@example.com", full_name="Omid Karimi")
    requester.manager = boss
    requester.save(update_fields=["manager"])
    stranger = UserFactory(role=Role.END_USER, email="sara@example.com", full_name="Sara Stranger")
    desk_agent = UserFactory(role=Role.AGENT, email="arash@example.com", full_name="Arash Agent")
    tech = UserFactory(role=Role.AGENT, email="sam@example.com", full_name="Sam Tech")
    desk = SupportGroupFactory(name="Service Desk")
    desk.members.add(desk_agent)
    hardware = SupportGroupFactory(name="Hardware")
    hardware.members.add(tech)
    service = ServiceFactory(name="Client service", support_group=desk)
    offering = OfferingFactory(
        service=service, name="Standard laptop", price=1200, charging_basis="one_off"
    )
    item = ItemFactory(
        service=service, offering=offering, name="Laptop", approval_rule=ApprovalRule.MANAGER,
        description="A standard business laptop.",
    )  # fmt: skip
    field(item, "model", FieldType.CHOICE, label="Model", required=True, choices="14-inch\n16-inch")
    field(item, "needed_by", FieldType.DATE, label="Needed by", required=True)
    field(item, "quantity", FieldType.NUMBER, label="Quantity", min_value=1, max_value=3)
    field(item, "reason", FieldType.TEXT, label="Why do you need it", max_length=200)
    TaskTemplate.objects.create(
        item=item, order=10, title="Prepare the laptop", support_group=hardware
    )
    TaskTemplate.objects.create(
        item=item, order=20, title="Hand over the laptop", support_group=desk
    )
    return SimpleNamespace(
        requester=requester, boss=boss, stranger=stranger, agent=desk_agent, tech=tech,
        desk=desk, hardware=hardware, service=service, offering=offering, item=item,
    )  # fmt: skip


LAPTOP_ANSWERS = {
    "model": {"label": "Model", "type": "choice", "value": "14-inch", "text": "14-inch"},
    "needed_by": {
        "label": "Needed by",
        "type": "date",
        "value": "2030-01-10",
        "text": "2030-01-10",
    },
}


def laptop_setup_without_approval():
    """`laptop_setup` with an item that needs no approval, and a second hardware technician
    (Hana Hardware) beside Sam Tech: a request goes straight to its tasks."""
    world = laptop_setup()
    world.item.approval_rule = "none"
    world.item.save()
    world.colleague = UserFactory(role="agent", full_name="Hana Hardware")
    world.hardware.members.add(world.colleague)
    return world
