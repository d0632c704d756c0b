"""Factories for the incident domain: reference data as rows, incidents through the services.

Incidents are never built with `Incident.objects.create`: `incident(**kw)` and the `incident_in`
helper go through `services.incident_create` / `incident_transition`, so every incident a test
sees has a number, a priority from the matrix, a routed group and its audit events.
"""

import factory
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from accounts.roles import Role
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents import services
from incidents.choices import IncidentStatus, PendingReason, ResolutionCode
from incidents.models import Category, Incident, RoutingRule
from servicedesk.models import AuditEvent
from tests.factories import SupportGroupFactory as BaseSupportGroupFactory
from tests.factories import UserFactory

RESOLUTION = {
    "resolution_code": ResolutionCode.SOLVED_PERMANENTLY,
    "resolution_notes": "<p>Replaced the faulty cable; the link is back up.</p>",
}


def AgentFactory(**fields):  # noqa: N802  reads like the other factories
    """A saved user holding the agent role."""
    return UserFactory(role=Role.AGENT, **fields)


def EndUserFactory(**fields):  # noqa: N802
    """A saved user holding the end-user role."""
    return UserFactory(role=Role.END_USER, **fields)


class SupportGroupFactory(BaseSupportGroupFactory):
    """SupportGroupFactory(members=[agent, ...], lead=person, email="team@example.com")."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class CategoryFactory(factory.django.DjangoModelFactory):
    """A top-level category; pass parent=... for a subcategory."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None


class SubcategoryFactory(CategoryFactory):
    name = factory.Sequence(lambda n: f"Subcategory {n}")
    parent = factory.SubFactory(CategoryFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    support_group = None


class ConfigurationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"CI-{n:04d}")
    service = None
    support_group = None


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    """A rule with no condition (a catch-all) unless category/service/... are given."""

    class Meta:
        model = RoutingRule

    order = 100
    name = factory.Sequence(lambda n: f"Rule {n}")
    support_group = factory.SubFactory(SupportGroupFactory)


def incident(*, actor=None, **fields) -> Incident:
    """Log an incident through `services.incident_create` with sensible defaults.

    The actor defaults to a fresh agent. When an agent gives no support group, category, service
    or CI, a group of theirs is given so that the test does not depend on routing rules (end
    users never choose a group: their incidents are routed).
    """
    actor = actor or AgentFactory()
    fields.setdefault("title", "VPN drops every few minutes")
    fields.setdefault("description", "<p>Since this morning the VPN disconnects.</p>")
    fields.setdefault("impact", "medium")
    fields.setdefault("urgency", "medium")
    routed = {"support_group", "category", "subcategory", "service", "configuration_item"}
    staff = actor.has_perm(services.WORK_PERMISSION)
    if staff and not routed & set(fields):
        fields["support_group"] = SupportGroupFactory(members=[actor])
    if fields.get("assignee") is not None and "support_group" not in fields:
        raise ValueError("give the assignee's support_group too")
    with transaction.atomic():
        return services.incident_create(actor=actor, **fields)


def incident_in(status: str, *, agent=None, **fields) -> Incident:
    """An incident brought to `status` through the services, with an assignee (the agent, in
    its group) so that every later transition's needs can be met."""
    agent = agent or AgentFactory()
    group = fields.pop("support_group", None) or SupportGroupFactory(members=[agent])
    if status == IncidentStatus.NEW:
        return incident(actor=agent, support_group=group, **fields)
    created = incident(actor=agent, support_group=group, assignee=agent, **fields)
    steps = {
        IncidentStatus.ASSIGNED: [],
        IncidentStatus.IN_PROGRESS: [IncidentStatus.IN_PROGRESS],
        IncidentStatus.PENDING: [IncidentStatus.PENDING],
        IncidentStatus.RESOLVED: [IncidentStatus.RESOLVED],
        IncidentStatus.CLOSED: [IncidentStatus.RESOLVED, IncidentStatus.CLOSED],
        IncidentStatus.CANCELLED: [IncidentStatus.CANCELLED],
    }[status]
    for target in steps:
        transition(created, agent, target)
    created.refresh_from_db()
    return created


def transition(incident_obj: Incident, actor, target: str, **details) -> Incident:
    """incident_transition with what `target` needs filled in (unless given)."""
    if target == IncidentStatus.PENDING:
        details.setdefault("pending_reason", PendingReason.SUPPLIER)
    if target == IncidentStatus.RESOLVED:
        for key, value in RESOLUTION.items():
            details.setdefault(key, value)
    with transaction.atomic():
        return services.incident_transition(
            incident_id=incident_obj.pk, actor=actor, target=target, **details
        )


def audit_events(incident_obj: Incident, **filters):
    """The incident's audit events, oldest first."""
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident_obj.pk,
        **filters,
    ).order_by("created_at", "pk")
