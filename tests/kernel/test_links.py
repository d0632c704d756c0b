"""Record links work for a record type registered in a few lines (the kernel's test Ticket,
tests/kernel/apps.py): a Ticket linked to an Incident (related to, caused by) reads from both
sides, is audited on both timelines, shows on the incident's page, is served by the API, and is
left out for a reader who may not see the other record. Nothing in the kernel names Ticket."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from servicedesk import services
from servicedesk.models import AuditKind, LinkKind
from servicedesk.selectors import record_by_number, record_links, record_timeline
from servicedesk.services import record_create
from tests.incidents.factories import RoutingRuleFactory, incident
from tests.kernel.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catch_all_routing(db):
    """End users' incidents are routed: one rule takes them all."""
    return RoutingRuleFactory()


@pytest.fixture
def ticket(end_user):
    with transaction.atomic():
        return record_create(
            model=Ticket,
            actor=end_user,
            fields={"title": "Badge reader at the side door", "requester": end_user},
        )


def link(source, target, kind, *, actor):
    with transaction.atomic():
        return services.record_link_add(source=source, target=target, kind=kind, actor=actor)


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def linked_events(record, user):
    return [
        entry.item.new_value
        for entry in record_timeline(record=record, user=user)
        if entry.kind == "event" and entry.item.kind == AuditKind.LINKED
    ]


def test_a_ticket_number_finds_the_ticket_by_its_prefix(agent, ticket):
    assert ticket.number.startswith("TKT")
    assert record_by_number(user=agent, number=ticket.number.lower()) == ticket


@pytest.mark.parametrize(
    ("kind", "from_ticket", "from_incident"),
    [
        (LinkKind.RELATED_TO, "related to", "related to"),
        (LinkKind.CAUSED_BY, "caused by", "causes"),
    ],
)
def test_a_ticket_linked_to_an_incident_reads_from_both_sides(
    agent, ticket, kind, from_ticket, from_incident
):
    outage = incident(actor=agent, title="Door controller offline")

    link(ticket, outage, kind, actor=agent)

    (seen_from_ticket,) = record_links(record=ticket, user=agent)
    assert (seen_from_ticket.label, seen_from_ticket.other) == (from_ticket, outage)
    (seen_from_incident,) = record_links(record=outage, user=agent)
    assert (seen_from_incident.label, seen_from_incident.other) == (from_incident, ticket)


def test_the_link_is_on_both_timelines(agent, ticket):
    outage = incident(actor=agent)

    link(ticket, outage, LinkKind.CAUSED_BY, actor=agent)

    assert linked_events(ticket, agent) == [
        {"kind": "caused_by", "reverse": False, "number": outage.number}
    ]
    assert linked_events(outage, agent) == [
        {"kind": "caused_by", "reverse": True, "number": ticket.number}
    ]


def test_the_incident_page_links_a_ticket_by_number_and_shows_it(client, agent, ticket):
    outage = incident(actor=agent)
    client.force_login(agent)

    response = client.post(
        f"/records/{outage.number}/links/",
        {"kind": "related_to", "number": ticket.number},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/incidents/{outage.number}/"
    (entry,) = response.context["links"]
    assert (entry.label, entry.other) == ("related to", ticket)
    page = response.content.decode()
    assert f"Linked: related to {ticket.number}" in page
    assert [e.item.kind for e in response.context["timeline"] if e.kind == "event"][
        -1
    ] == AuditKind.LINKED
    assert [link.other for link in record_links(record=ticket, user=agent)] == [outage]


def test_the_api_links_a_ticket_and_lists_it_from_both_sides(agent, ticket):
    outage = incident(actor=agent)
    api = api_as(agent)

    created = api.post(
        "/api/v1/links/",
        {"source": ticket.number, "target": outage.number, "kind": "caused_by"},
        format="json",
    )
    of_ticket = api.get("/api/v1/links/", {"record": ticket.number})
    of_incident = api.get("/api/v1/links/", {"record": outage.number})

    assert created.status_code == 201, created.json()
    assert (created.json()["label"], created.json()["number"]) == ("caused by", outage.number)
    (entry,) = of_ticket.json()
    assert (entry["label"], entry["direction"], entry["number"]) == (
        "caused by",
        "outgoing",
        outage.number,
    )
    (entry,) = of_incident.json()
    assert (entry["label"], entry["direction"], entry["number"], entry["title"]) == (
        "causes",
        "incoming",
        ticket.number,
        ticket.title,
    )

    deleted = api.delete(f"/api/v1/links/{created.json()['id']}/")
    assert deleted.status_code == 204
    assert api.get("/api/v1/links/", {"record": ticket.number}).json() == []


def test_a_reader_who_may_not_see_the_other_record_does_not_see_the_link(
    agent, end_user, make_user, ticket
):
    someone_elses = incident(actor=make_user(full_name="Other Person"))
    created = link(ticket, someone_elses, LinkKind.CAUSED_BY, actor=agent)
    other_ticket_owner = make_user(full_name="Third Person")
    api = api_as(end_user)

    # The ticket's requester sees the ticket, not the other person's incident.
    assert record_links(record=ticket, user=end_user) == []
    assert api.get("/api/v1/links/", {"record": ticket.number}).json() == []
    assert api.get("/api/v1/links/", {"record": someone_elses.number}).status_code == 404
    assert api.delete(f"/api/v1/links/{created.pk}/").status_code == 404
    # Nor does the incident's requester see the ticket (tickets_visible_to: their own only).
    assert record_links(record=someone_elses, user=someone_elses.requester) == []
    # Someone who sees neither gets a 404 for both, as for a missing record.
    assert (
        api_as(other_ticket_owner).get("/api/v1/links/", {"record": ticket.number}).status_code
        == 404
    )
    # The desk sees both sides.
    assert [e.other for e in record_links(record=ticket, user=agent)] == [someone_elses]
