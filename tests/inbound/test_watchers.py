"""Watchers on any record: added from the record page (the requester's colleagues first, or an
address), audited, and sent the public updates, never the work notes."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import Organisation
from inbound import selectors, services
from inbound.models import Watcher
from incidents import services as incidents
from incidents.models import Incident
from servicedesk.models import AuditEvent
from servicedesk.notifications import deliver_pending
from tests.incidents.factories import AgentFactory, EndUserFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    agent = AgentFactory()
    group = SupportGroupFactory(members=[agent])
    acme = Organisation.objects.create(name="Acme")
    requester = EndUserFactory(full_name="Sara", email="sara@acme.example", organisation=acme)
    colleague = EndUserFactory(full_name="Tom", email="tom@acme.example", organisation=acme)
    EndUserFactory(full_name="Outsider", email="out@else.example")
    record = incident(actor=agent, support_group=group, requester=requester)
    return agent, requester, colleague, record


def to(address):
    return [m for m in mail.outbox if address in m.to + m.cc + m.bcc]


def test_a_watcher_gets_the_public_reply_and_not_the_work_note(case):
    agent, _requester, colleague, record = case
    services.watcher_add(record=record, actor=agent, user=colleague)
    deliver_pending()
    mail.outbox.clear()
    with transaction.atomic():
        incidents.incident_comment(incident_id=record.pk, actor=agent, body="Internal: the VPN key leaked",
                                   visibility="internal")  # fmt: skip
    deliver_pending()
    assert not to("tom@acme.example")
    with transaction.atomic():
        incidents.incident_comment(incident_id=record.pk, actor=agent, body="We restarted the VPN.")
    deliver_pending()
    [message] = to("tom@acme.example")
    assert "We restarted the VPN." in message.body and "leaked" not in message.body


def test_colleagues_are_offered_first_and_an_address_may_be_typed(case):
    agent, requester, colleague, record = case
    assert [p.email for p in selectors.watcher_candidates(record)] == ["tom@acme.example"]
    services.watcher_add(record=record, actor=agent, address=" Boss@Partner.example ")
    assert [w.address for w in selectors.watchers_of(record)] == ["boss@partner.example"]
    with pytest.raises(ValidationError):
        services.watcher_add(record=record, actor=agent, address="boss@partner.example")
    with pytest.raises(ValidationError):
        services.watcher_add(record=record, actor=agent, address="not an address")
    with pytest.raises(ValidationError):
        services.watcher_add(record=record, actor=agent, user=requester)
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=record.pk,
        field="watchers",
    )
    assert [(e.new_text, e.public) for e in events] == [("boss@partner.example", False)]


def test_an_end_user_cannot_add_watchers_to_someone_elses_record(case):
    _agent, _requester, colleague, record = case
    with pytest.raises(PermissionDenied):
        services.watcher_add(record=record, actor=colleague, address="x@acme.example")


def test_the_record_page_adds_and_removes_a_watcher(client, case):
    agent, _requester, colleague, record = case
    client.force_login(agent)
    page = client.get(reverse("incidents:detail", args=[record.number])).content.decode()
    assert reverse("inbound:watchers_panel", args=[record.number]) in page
    card = client.get(reverse("inbound:watchers_panel", args=[record.number])).content.decode()
    assert 'id="watchers"' in card and "tom@acme.example" in card
    client.post(reverse("inbound:watcher_add", args=[record.number]), {"user": colleague.pk})
    watcher = Watcher.objects.get()
    assert watcher.user == colleague
    answer = client.post(
        reverse("inbound:watcher_remove", args=[record.number]),
        {"watcher": watcher.pk},
        follow=True,
    )
    assert "Watcher removed." in answer.content.decode()
    assert not Watcher.objects.exists()


def test_the_requester_adds_a_colleague_from_the_portal_and_nobody_else_can(client, case):
    _agent, requester, colleague, record = case
    outsider = EndUserFactory(email="far@else.example")
    add = reverse("inbound:portal_watcher_add", args=[record.number])
    client.force_login(requester)
    page = client.get(reverse("portal:incident", args=[record.number])).content.decode()
    assert "Keep colleagues informed" in page and "Tom" in page
    refused = client.post(add, {"user": outsider.pk}, follow=True)
    assert "Choose a colleague." in refused.content.decode() and not Watcher.objects.exists()
    client.post(add, {"user": colleague.pk})
    assert Watcher.objects.get().address == "tom@acme.example"
    client.force_login(colleague)
    assert client.post(add, {"user": colleague.pk}).status_code == 404
    assert (
        "Keep colleagues informed"
        not in client.get(reverse("portal:incident", args=[record.number])).content.decode()
    )
