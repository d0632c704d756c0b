"""Automation logs and changes incidents as the system actor; a missing actor is refused."""

import pytest
from django.db import transaction

from incidents import services
from incidents.choices import Channel, IncidentStatus
from incidents.models import Incident
from servicedesk.actors import ActorRequired, system_actor
from servicedesk.models import AuditEvent, AuditKind
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import incident, incident_in, transition

pytestmark = pytest.mark.django_db


def test_the_system_actor_logs_an_incident_for_a_named_requester():
    requester = UserFactory(full_name="Emma Enduser")
    group = SupportGroupFactory(name="Service Desk")
    with transaction.atomic():
        record = services.incident_create(
            actor=system_actor(), title="Disk full on mail01", requester=requester,
            impact="medium", urgency="high", channel=Channel.EMAIL, support_group=group,
        )  # fmt: skip
    assert (record.requester, record.support_group, record.channel) == (
        requester, group, Channel.EMAIL
    )  # fmt: skip
    created = AuditEvent.objects.get(object_id=record.pk, kind=AuditKind.CREATED)
    assert created.actor == system_actor()


def test_incident_create_without_an_actor_is_refused_and_saves_nothing():
    requester = UserFactory()
    with pytest.raises(ActorRequired):
        services.incident_create(actor=None, title="No one", requester=requester)
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_other_incident_services_refuse_a_missing_actor_too():
    record = incident()
    with pytest.raises(ActorRequired):
        services.incident_transition(
            incident_id=record.pk, actor=None, target=IncidentStatus.CANCELLED
        )
    with pytest.raises(ActorRequired):
        services.incident_update(incident_id=record.pk, actor=None, changes={"title": "x"})
    assert Incident.objects.get(pk=record.pk).status == IncidentStatus.NEW


def test_a_requester_reply_brings_the_incident_back_as_the_system_actor():
    record = incident_in(IncidentStatus.IN_PROGRESS, requester=UserFactory())
    transition(record, record.assignee, IncidentStatus.PENDING, pending_reason="customer")
    services.incident_comment(
        incident_id=record.pk, actor=record.requester, body="Here is the screenshot."
    )
    moved = AuditEvent.objects.filter(object_id=record.pk, kind=AuditKind.STATUS_CHANGED).last()
    assert moved.new_value == IncidentStatus.IN_PROGRESS
    assert (moved.actor, moved.note) == (system_actor(), "The requester replied.")
