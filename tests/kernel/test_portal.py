"""The kernel's test Ticket in the self-service portal, from its registry declaration alone
(tests/kernel/apps.py: `portal=PortalPages()`), with no portal code of its own: it is listed in
its requester's "my records", opens on the portal's generic record page for them only, is rated
there once resolved, and its roles' permissions come from the same declaration."""

from dataclasses import replace

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, Role, sync_role_groups
from servicedesk import registry
from servicedesk.models import SatisfactionRating, Visibility
from servicedesk.services import comment_add, record_create, record_transition
from tests.kernel.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester(make_user):
    return make_user(Role.END_USER, full_name="Tara Ticketowner")


@pytest.fixture
def ticket(requester):
    with transaction.atomic():
        return record_create(
            model=Ticket, actor=requester,
            fields={"title": "Badge reader at the side door", "requester": requester,
                    "description": "<p>It beeps red.</p>"},
        )  # fmt: skip


def test_the_ticket_is_in_its_requester_s_records_only(client, ticket, requester, make_user):
    client.force_login(requester)
    page = client.get(reverse("portal:records"), {"show": "all"}).content.decode()
    assert ticket.number in page and "Badge reader at the side door" in page
    assert reverse("portal:record", kwargs={"number": ticket.number}) in page
    assert str(registry.get("ticket").name) in page  # its badge, the type's name

    client.force_login(make_user(Role.END_USER))
    assert (
        ticket.number not in client.get(reverse("portal:records"), {"show": "all"}).content.decode()
    )


def test_an_open_ticket_is_listed_under_open_and_a_closed_one_only_under_all(
    client, ticket, requester
):
    client.force_login(requester)
    assert ticket.number in client.get(reverse("portal:records")).content.decode()
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    assert ticket.number not in client.get(reverse("portal:records")).content.decode()
    assert ticket.number in client.get(reverse("portal:records"), {"show": "all"}).content.decode()


def test_the_generic_page_shows_the_ticket_and_its_public_history_to_its_requester(
    client, ticket, requester, agent
):
    comment_add(record=ticket, author=agent, body="We are on it", visibility=Visibility.PUBLIC)
    comment_add(record=ticket, author=agent, body="Door vendor again", visibility="internal")
    client.force_login(requester)
    response = client.get(reverse("portal:record", kwargs={"number": ticket.number}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Badge reader at the side door" in page and "It beeps red." in page
    assert "We are on it" in page and "Door vendor again" not in page


@pytest.mark.parametrize("who", ["stranger", "agent"])
def test_anyone_else_gets_a_404_on_the_ticket_s_portal_pages(client, ticket, make_user, who):
    client.force_login(make_user(Role.END_USER if who == "stranger" else Role.AGENT))
    page = reverse("portal:record", kwargs={"number": ticket.number})
    rate = reverse("portal:rate", kwargs={"number": ticket.number})
    assert client.get(page).status_code == 404
    assert client.post(rate, {"score": "5"}).status_code == 404
    assert not SatisfactionRating.objects.exists()


def test_the_requester_rates_the_ticket_once_its_workflow_calls_it_resolved(
    client, ticket, requester, agent
):
    """The Ticket's workflow declares no resolved states: its final one, closed, is."""
    rate = reverse("portal:rate", kwargs={"number": ticket.number})
    page = reverse("portal:record", kwargs={"number": ticket.number})
    client.force_login(requester)
    assert "Rate the service" not in client.get(page).content.decode()
    assert client.post(rate, {"score": "4"}).status_code == 302
    assert not SatisfactionRating.objects.exists()  # refused: not resolved yet

    for target in ("resolved", "closed"):
        with transaction.atomic():
            record_transition(
                record=Ticket.objects.select_for_update().get(pk=ticket.pk),
                workflow=Ticket.WORKFLOW, target=target, actor=agent,
                context={"note": "New reader fitted."},
            )  # fmt: skip
    assert "Rate the service" in client.get(page).content.decode()
    response = client.post(rate, {"score": "4", "comment": "Quick"})
    assert response.status_code == 302 and response.url == page
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.rated_by) == (4, requester)


def test_a_type_without_portal_pages_is_not_in_the_portal(client, ticket, requester):
    original = registry.get("ticket")
    registry.register(replace(original, portal=None))
    try:
        client.force_login(requester)
        records = client.get(reverse("portal:records"), {"show": "all"}).content.decode()
        assert ticket.number not in records
        assert (
            client.get(reverse("portal:record", kwargs={"number": ticket.number})).status_code
            == 404
        )
    finally:
        registry.register(original)


def test_the_ticket_s_role_permissions_come_from_its_declaration():
    assert registry.get("ticket").permissions == {"agent": ("kernel_tests.view_ticket",)}
    for role in (Role.AGENT, Role.GROUP_LEAD, Role.DESK_MANAGER, Role.ADMINISTRATOR):
        assert "kernel_tests.view_ticket" in ROLE_PERMISSIONS[role]  # every role built on agent's
    assert "kernel_tests.view_ticket" not in ROLE_PERMISSIONS[Role.END_USER]
    sync_role_groups()
    agents = Group.objects.get(name=Role.AGENT)
    assert agents.permissions.filter(content_type__app_label="kernel_tests", codename="view_ticket")

    original = registry.get("ticket")
    registry.register(replace(original, permissions={}))
    try:
        assert "kernel_tests.view_ticket" not in ROLE_PERMISSIONS[Role.AGENT]
    finally:
        registry.register(original)


def test_a_declaration_naming_an_unknown_role_is_refused():
    original = registry.get("ticket")
    with pytest.raises(ValueError, match="unknown roles"):
        registry.register(replace(original, permissions={"agnet": ("kernel_tests.view_ticket",)}))
    assert registry.get("ticket") is original
    assert "kernel_tests.view_ticket" in ROLE_PERMISSIONS[Role.AGENT]


def test_the_portal_s_code_names_no_record_type():
    """Nothing in portal/ names the ticket (nor incidents or requests): the registry is all it
    reads."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "portal"
    source = " ".join(path.read_text() for path in root.rglob("*.py")).lower()
    assert "ticket" not in source and "kernel_tests" not in source
