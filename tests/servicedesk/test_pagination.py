"""The API's one pagination (servicedesk.api.pagination): a keyset cursor on the view's ordering,
completed into a unique key. Driven through a small list view over the kernel's test Ticket,
whose priority may be empty and whose creation times are made equal on purpose."""

import base64
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import generics, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.test import APIRequestFactory, force_authenticate

from cmdb.api.views import ConfigurationItemViewSet, RelationshipViewSet
from incidents.api.views import IncidentViewSet
from servicedesk.api.filters import FilterBackend
from servicedesk.api.pagination import KeysetCursorPagination, complete_ordering
from servicedesk.numbering import next_record_number
from sla.api.views import CalendarViewSet, SlaTimerList
from sla.models import Calendar, EscalationRule, SlaTimer
from tests.incidents.factories import AgentFactory
from tests.kernel.models import Ticket

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 3, 3, 12, tzinfo=UTC)


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "number", "priority", "created_at"]


class TicketList(generics.ListAPIView):
    serializer_class = TicketSerializer
    queryset = Ticket.objects.all()
    ordering = ("priority",)


class SortableTicketList(TicketList):
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["priority", "title", "created_at"]


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def tickets(agent):
    """Eleven tickets created at the same instant, several of each priority, two without one."""
    rows = [
        Ticket(
            number=next_record_number("TKT"),
            title=f"Ticket {index}",
            requester=agent,
            status="new",
            priority=[1, 2, 3, None][index % 4] if index < 8 else 2,
            created_at=NOON,
        )
        for index in range(11)
    ]
    return Ticket.objects.bulk_create(rows)


def get(view, user, url="/tickets/", **params):
    request = APIRequestFactory().get(url, params)
    force_authenticate(request, user=user)
    return view.as_view()(request)


def walk(view, user, **params):
    """Every page forward (ids per page), then back from the last page (ids per page)."""
    forward, response = [], get(view, user, **params)
    while True:
        assert response.status_code == 200, response.data
        assert set(response.data) == {"next", "previous", "results"}
        forward.append([row["id"] for row in response.data["results"]])
        if response.data["next"] is None:
            break
        response = get(view, user, url=response.data["next"])
    backward = [forward[-1]]
    while response.data["previous"] is not None:
        response = get(view, user, url=response.data["previous"])
        backward.insert(0, [row["id"] for row in response.data["results"]])
    return forward, backward


def expected(tickets, *, descending=False):
    """Priority order, empty priorities first (last when descending), ties by id."""

    def key(ticket):
        return (ticket.priority is not None, ticket.priority or 0, ticket.pk)

    return [t.pk for t in sorted(tickets, key=key, reverse=descending)]


def test_equal_sort_keys_give_a_stable_order_with_no_row_repeated_or_lost(agent, tickets):
    forward, backward = walk(TicketList, agent, page_size=2)

    assert [pk for page in forward for pk in page] == expected(tickets)
    assert all(len(page) == 2 for page in forward[:-1])


def test_next_then_previous_gives_back_the_same_pages(agent, tickets):
    forward, backward = walk(TicketList, agent, page_size=3)

    assert backward == forward


def test_the_callers_ordering_descending_puts_empty_values_last(agent, tickets):
    forward, backward = walk(SortableTicketList, agent, page_size=4, ordering="-priority")

    assert [pk for page in forward for pk in page] == expected(tickets, descending=True)
    assert backward == forward


def test_a_list_on_one_page_links_nowhere(agent, tickets):
    first = get(TicketList, agent, page_size=20).data

    assert (first["next"], first["previous"]) == (None, None)
    assert len(first["results"]) == len(tickets)


def test_a_page_is_one_query_with_no_count_and_no_offset(agent, tickets):
    first = get(TicketList, agent, page_size=2).data
    with CaptureQueriesContext(connection) as queries:
        get(TicketList, agent, url=first["next"])

    ticket_queries = [
        q["sql"] for q in queries.captured_queries if "kernel_tests_ticket" in q["sql"]
    ]
    assert len(ticket_queries) == 1
    assert "COUNT(" not in ticket_queries[0].upper()
    assert "OFFSET" not in ticket_queries[0].upper()


def cursor(token) -> str:
    if isinstance(token, dict):
        token = json.dumps(token)
    return base64.urlsafe_b64encode(token.encode()).decode()


@pytest.mark.parametrize(
    "value",
    [
        "not base64 at all!",
        cursor("not json"),
        cursor("[1, 2]"),
        cursor({"o": "title,id", "p": ["x", 1]}),  # another ordering's cursor
        cursor({"o": "priority,created_at,id", "p": [1, "yesterday", 3]}),
        cursor({"o": "priority,created_at,id", "p": [1, NOON.isoformat()]}),
        cursor({"o": "priority,created_at,id", "p": [1, NOON.isoformat(), None]}),
        cursor({"o": "priority,created_at,id", "p": [{"a": 1}, NOON.isoformat(), 1]}),
        "é",
    ],
)
def test_a_bad_cursor_is_a_400_on_cursor_in_the_house_shape(agent, tickets, value):
    response = get(TicketList, agent, cursor=value)

    assert response.status_code == 400
    assert list(response.data["errors"]) == ["cursor"]


def test_a_bad_cursor_through_a_real_list_is_json_not_a_500(client, agent):
    client.force_login(agent)
    for url in ("/api/v1/incidents/", "/api/v1/cmdb/cis/", "/api/v1/sla/calendars/"):
        response = client.get(url, {"cursor": "eyJvIjoiYSJ9"})  # {"o":"a"}

        assert response.status_code == 400, url
        assert response["Content-Type"] == "application/json"
        assert list(response.json()["errors"]) == ["cursor"]


def test_the_ordering_is_completed_into_a_unique_key():
    assert complete_ordering(Ticket, ("priority",)) == ("priority", "created_at", "id")
    assert complete_ordering(Ticket, ("-priority",)) == ("-priority", "-created_at", "-id")
    assert complete_ordering(Ticket, ("number",)) == ("number",)  # unique already
    assert complete_ordering(Ticket, ("-created_at", "pk")) == ("-created_at", "id")
    assert complete_ordering(Calendar, ("name",)) == ("name",)
    assert complete_ordering(SlaTimer, ("-id",)) == ("-id",)
    assert complete_ordering(EscalationRule, ("metric", "percent")) == ("metric", "percent", "id")
    assert complete_ordering(Ticket, ("assignee__full_name",)) == (
        "assignee__full_name", "created_at", "id",
    )  # fmt: skip
    for wrong in ("nothing", "requester__groups", "title__length", "comments"):
        with pytest.raises(ImproperlyConfigured):
            complete_ordering(Ticket, (wrong,))


@pytest.mark.parametrize(
    ("view", "ordering"),
    [
        (IncidentViewSet, ("-created_at", "-id")),
        (ConfigurationItemViewSet, ("name",)),
        (RelationshipViewSet, ("-id",)),
        (SlaTimerList, ("-id",)),
        (CalendarViewSet, ("name",)),
    ],
)
def test_every_list_pages_with_the_one_scheme_on_its_own_ordering(view, ordering):
    assert view.pagination_class is KeysetCursorPagination
    assert view.ordering == ordering


def test_a_real_list_answers_next_previous_results(client, agent):
    client.force_login(agent)
    for index in range(3):
        Calendar.objects.create(name=f"Calendar {index}", always_open=True)

    first = client.get("/api/v1/sla/calendars/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()

    assert set(first) == {"next", "previous", "results"}
    assert first["previous"] is None
    assert back["results"] == first["results"]
    names = [row["name"] for row in first["results"] + second["results"]]
    assert names == sorted(names)
