"""The timeline's audit values are shown in the reader's language: a status written by an
English-speaking agent reads in Persian for a Persian-speaking requester."""

import pytest
from django.utils import translation

from incidents.choices import IncidentStatus
from servicedesk.models import AuditEvent, AuditKind
from servicedesk.templatetags.servicedesk import audit_value
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident, transition

pytestmark = pytest.mark.django_db


def test_choice_values_follow_the_readers_language_and_free_text_stays(db):
    agent = AgentFactory()
    record = incident(
        actor=agent, support_group=SupportGroupFactory(members=[agent]), assignee=agent
    )
    with translation.override("en"):
        transition(record, agent, IncidentStatus.IN_PROGRESS)
    event = AuditEvent.objects.filter(kind=AuditKind.STATUS_CHANGED).latest("pk")
    assert event.new_text == "In progress"  # written in the writer's language

    with translation.override("fa"):
        persian = audit_value(event, "new")
        expected = str(IncidentStatus.IN_PROGRESS.label)
    with translation.override("zh-hans"):
        chinese = audit_value(event, "new")

    assert persian == expected != "In progress"
    assert chinese != "In progress"
    free_text = AuditEvent(content_type_id=event.content_type_id, field="title",
                           new_value="VPN down", new_text="VPN down")  # fmt: skip
    assert audit_value(free_text, "new") == "VPN down"
