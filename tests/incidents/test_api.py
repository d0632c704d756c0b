"""The incidents REST API at /api/v1/incidents/: what callers can do, see and get told.

Incidents are made through the services (tests/incidents/factories.py) or through the API
itself; nothing is written behind the services' back.
"""

import json
import re
import threading
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident
from servicedesk.api.pagination import KeysetCursorPagination
from servicedesk.models import Attachment, AuditEvent, Comment
from tests.factories import PASSWORD
from tests.incidents.factories import (
    CategoryFactory,
    RoutingRuleFactory,
    SubcategoryFactory,
    SupportGroupFactory,
    incident,
    incident_in,
)

pytestmark = pytest.mark.django_db

S = IncidentStatus
LIST = "/api/v1/incidents/"
STAFF_ONLY = "Only service desk staff can do this."
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every writer: run with DATABASE_URL=postgres://... for real "
    "concurrency (the sequential variant below runs everywhere)",
)


def url(number, action=""):
    return f"{LIST}{number}/{action + '/' if action else ''}"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def counts():
    """What a refused request must leave untouched."""
    return (
        Incident.objects.count(),
        AuditEvent.objects.count(),
        Comment.objects.count(),
        Attachment.objects.count(),
    )


def numbers(response):
    return [row["number"] for row in response.json()["results"]]


@pytest.fixture(autouse=True)
def private_cache(settings):
    """A cache of this test's own: other test runs on the machine share the file cache (or
    Redis) and clear the priority data in it; API rate-limit counters start from zero too."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"incidents-api-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def desk(agent):
    """The service desk team (the agent is in it) and the catch-all rule that routes to it."""
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    RoutingRuleFactory(name="Everything else", order=1000, support_group=group)
    return group


@pytest.fixture
def network(make_user):
    engineer = make_user(Role.AGENT, full_name="Nina Network")
    return SupportGroupFactory(name="Network", members=[engineer])


@pytest.fixture
def tree(network):
    """Network > VPN (routed to Network), Hardware > Printer."""
    network_category = CategoryFactory(name="Network")
    hardware = CategoryFactory(name="Hardware")
    RoutingRuleFactory(
        name="Network faults", order=10, category=network_category, support_group=network
    )
    return {
        "network": network_category,
        "vpn": SubcategoryFactory(name="VPN", parent=network_category),
        "hardware": hardware,
        "printer": SubcategoryFactory(name="Printer", parent=hardware),
    }


@pytest.fixture
def as_agent(agent, desk):
    return client_for(agent)


@pytest.fixture
def as_end_user(end_user):
    return client_for(end_user)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def log(actor, desk, **fields):
    """An incident in the desk's queue, logged through the service."""
    fields.setdefault("support_group", desk)
    return incident(actor=actor, **fields)


# --- Create ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "urgency", "priority", "name"),
    [
        ("high", "high", 1, "Critical"),
        ("high", "medium", 2, "High"),
        ("low", "high", 3, "Medium"),
        ("high", "low", 4, "Low"),
        ("low", "low", 5, "Planning"),
    ],
)
def test_an_agent_logs_an_incident_with_the_priority_from_the_matrix(
    as_agent, agent, end_user, desk, impact, urgency, priority, name
):
    response = as_agent.post(
        LIST,
        {
            "title": "VPN drops every few minutes",
            "description": "<p>Since this morning.</p>",
            "requester": end_user.pk,
            "impact": impact,
            "urgency": urgency,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"INC\d{7}", body["number"])
    assert response["Location"] == url(body["number"])
    assert (body["priority"], body["priority_name"]) == (priority, name)
    assert body["status"] == "new"
    assert body["channel"] == "api"
    assert body["requester"] == {"id": end_user.pk, "name": "Emma Enduser"}
    assert body["support_group"] == {"id": desk.pk, "name": "Service Desk"}
    assert body["version"] == 1
    assert body["allowed_transitions"] == [
        "assigned",
        "in_progress",
        "pending",
        "resolved",
        "cancelled",
    ]
    stored = Incident.objects.get(number=body["number"])
    assert (stored.priority, stored.requester, stored.channel) == (priority, end_user, "api")


def test_without_a_group_the_routing_rules_choose_one(as_agent, desk, tree, network):
    routed = as_agent.post(
        LIST,
        {"title": "No VPN", "impact": "medium", "urgency": "medium", "subcategory": tree["vpn"].pk},
        format="json",
    ).json()
    caught = as_agent.post(
        LIST, {"title": "Mouse is broken", "impact": "low", "urgency": "low"}, format="json"
    ).json()

    assert routed["support_group"] == {"id": network.pk, "name": "Network"}
    assert routed["category"] == {"id": tree["network"].pk, "name": "Network"}
    assert routed["subcategory"] == {"id": tree["vpn"].pk, "name": "VPN"}
    assert caught["support_group"]["id"] == desk.pk


def test_an_agent_sets_group_assignee_parent_and_the_other_facts(as_agent, agent, desk, tree):
    parent = log(agent, desk, title="The whole site is offline")

    response = as_agent.post(
        LIST,
        {
            "title": "Floor 3 offline",
            "impact": "medium",
            "urgency": "high",
            "category": tree["network"].pk,
            "subcategory": tree["vpn"].pk,
            "support_group": desk.pk,
            "assignee": agent.pk,
            "channel": "phone",
            "major_incident": True,
            "parent": parent.number,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "assigned"
    assert body["assignee"] == {"id": agent.pk, "name": "Arash Agent"}
    assert body["support_group"]["id"] == desk.pk  # the given group beats the routing rule
    assert body["channel"] == "phone"
    assert body["major_incident"] is True
    assert body["parent"] == {"id": parent.pk, "number": parent.number, "title": parent.title}


def test_an_end_user_logs_for_themselves_whatever_they_send(
    as_end_user, end_user, agent, make_user, desk
):
    someone_else = make_user(Role.END_USER)

    response = as_end_user.post(
        LIST,
        {
            "title": "Printer on floor 3 jams",
            "impact": "low",
            "urgency": "medium",
            "requester": someone_else.pk,
            "assignee": agent.pk,
            "support_group": desk.pk,
            "channel": "phone",
            "major_incident": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester"]["id"] == end_user.pk
    assert body["assignee"] is None
    assert body["major_incident"] is False
    assert body["channel"] == "portal"
    assert body["priority"] == 4
    assert Incident.objects.get(number=body["number"]).requester == end_user


MISSING = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("impact", "catastrophic"),
        ("urgency", ""),
        ("title", MISSING),
        ("title", "   "),
        ("title", "x" * 201),
        ("subcategory", lambda ctx: ctx["printer"].pk),  # under Hardware, not Network
        ("category", lambda ctx: ctx["vpn"].pk),  # not a top-level category
        ("assignee", lambda ctx: ctx["outsider"].pk),  # not in the Service Desk group
        ("support_group", 999_999),
        ("parent", "INC9999999"),
        ("status", "resolved"),  # not something one sets
        ("priority", 1),  # follows from impact and urgency
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(
    as_agent, desk, tree, make_user, field, value
):
    payload = {
        "title": "VPN drops",
        "impact": "high",
        "urgency": "high",
        "category": tree["network"].pk,
        "support_group": desk.pk,
    }
    if value is MISSING:
        del payload[field]
    else:
        ctx = {**tree, "outsider": make_user(Role.AGENT)}
        payload[field] = value(ctx) if callable(value) else value
    before = counts()

    response = as_agent.post(LIST, payload, format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"], body
    assert all(isinstance(message, str) for message in body["errors"][field])
    assert counts() == before


def test_the_subcategory_error_names_both_categories(as_agent, desk, tree):
    response = as_agent.post(
        LIST,
        {
            "title": "VPN drops",
            "impact": "low",
            "urgency": "low",
            "category": tree["network"].pk,
            "subcategory": tree["printer"].pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["subcategory"] == [
        "“Printer” is not a subcategory of “Network”."
    ]


def test_scripts_are_stripped_from_the_description(as_agent, desk):
    response = as_agent.post(
        LIST,
        {
            "title": "Odd pop-up",
            "impact": "low",
            "urgency": "low",
            "description": '<p onclick="steal()">Hello</p><script>alert("x")</script>',
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["description"] == "<p>Hello</p>"
    assert Incident.objects.get(number=response.json()["number"]).description == "<p>Hello</p>"


# --- List: filters, ordering, pagination, speed ---------------------------------------------------


@pytest.fixture
def queue(agent, desk, network, end_user):
    """Four incidents in different states, priorities and groups."""
    return {
        "p1_new": log(
            agent, desk, title="Core switch down", impact="high", urgency="high", requester=end_user
        ),
        "p5_assigned": log(
            agent, desk, title="Printer toner low", impact="low", urgency="low", assignee=agent
        ),
        "p3_network": incident(actor=agent, title="Wi-Fi slow", support_group=network),
        "p3_in_progress": incident_in(
            S.IN_PROGRESS, agent=agent, support_group=desk, title="Laptop will not boot"
        ),
    }


def test_the_list_shows_lean_rows_newest_first(as_agent, queue, agent):
    response = as_agent.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}  # no count: it would scan the table
    assert body["next"] is None and body["previous"] is None
    assert numbers(response) == [
        queue[key].number for key in ("p3_in_progress", "p3_network", "p5_assigned", "p1_new")
    ]
    row = body["results"][2]
    assert row["assignee"] == {"id": agent.pk, "name": "Arash Agent"}
    assert row["support_group"]["name"] == "Service Desk"
    assert row["priority_name"] == "Planning"
    assert "description" not in row and "allowed_transitions" not in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=new", {"p1_new", "p3_network"}),
        ("status=new&status=in_progress", {"p1_new", "p3_network", "p3_in_progress"}),
        ("priority=1", {"p1_new"}),
        ("priority=3&priority=5", {"p5_assigned", "p3_network", "p3_in_progress"}),
        ("support_group={network}", {"p3_network"}),
        ("unassigned=true", {"p1_new", "p3_network"}),
        ("unassigned=false", {"p5_assigned", "p3_in_progress"}),
        ("assignee={agent}", {"p5_assigned", "p3_in_progress"}),
        ("requester={end_user}", {"p1_new"}),
        ("impact=high&urgency=high", {"p1_new"}),
        ("q=toner", {"p5_assigned"}),
        ("support_group={desk}&unassigned=true", {"p1_new"}),
    ],
)
def test_the_list_filters(as_agent, queue, desk, network, agent, end_user, query, expected):
    query = query.format(desk=desk.pk, network=network.pk, agent=agent.pk, end_user=end_user.pk)

    response = as_agent.get(f"{LIST}?{query}")

    assert response.status_code == 200
    assert set(numbers(response)) == {queue[key].number for key in expected}


def test_q_finds_an_incident_by_its_number_with_or_without_the_prefix(as_agent, queue):
    wanted = queue["p3_network"].number

    for q in (wanted, wanted.lower(), str(int(wanted.removeprefix("INC")))):
        assert numbers(as_agent.get(LIST, {"q": q})) == [wanted], q


def test_a_bad_filter_value_is_a_field_error(as_agent, queue):
    response = as_agent.get(LIST, {"status": "lost", "support_group": "x"})

    assert response.status_code == 400
    assert {"status", "support_group"} <= set(response.json()["errors"])


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("priority", lambda i: (i.priority, i.created_at, i.pk)),  # the queue order
        ("-priority", lambda i: (-i.priority, -i.created_at.timestamp(), -i.pk)),
        ("number", lambda i: i.number),
        ("title", lambda i: (i.title, i.created_at, i.pk)),
        ("status,-created_at", lambda i: (i.status, -i.created_at.timestamp(), -i.pk)),
    ],
)
def test_the_list_orders_by_the_ordering_parameter(as_agent, queue, ordering, key):
    expected = [i.number for i in sorted(Incident.objects.all(), key=key)]

    assert numbers(as_agent.get(LIST, {"ordering": ordering})) == expected


def test_the_list_orders_by_number_descending(as_agent, queue):
    expected = sorted((i.number for i in queue.values()), reverse=True)

    assert numbers(as_agent.get(LIST, {"ordering": "-number"})) == expected


def walk(client, first_url, *, link="next"):
    """Every page from `first_url` following `link`: (the pages' number lists, last response)."""
    pages, next_url = [], first_url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.json()
        pages.append(numbers(response))
        next_url = response.json()[link]
        assert len(pages) < 50, "the cursor never ends"
    return pages, response


@pytest.mark.parametrize("same_time", [False, True], ids=["distinct-times", "one-timestamp"])
@pytest.mark.parametrize("ordering", ["", "priority", "-title", "status"])
def test_cursor_pagination_walks_every_incident_once(as_agent, agent, desk, ordering, same_time):
    for n in range(11):
        log(agent, desk, title=f"Incident {n % 3}", impact=["high", "low"][n % 2], urgency="low")
    if same_time:  # ties on every ordering column but the id
        Incident.objects.update(created_at=timezone.now() - timedelta(hours=1))
    sign = "-" if ordering.startswith("-") else ""
    order = [ordering, f"{sign}created_at", f"{sign}id"] if ordering else ["-created_at", "-id"]
    expected = list(Incident.objects.order_by(*order).values_list("number", flat=True))

    pages, last = walk(as_agent, f"{LIST}?page_size=3&ordering={ordering}")

    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert [number for page in pages for number in page] == expected
    assert last.json()["previous"] is not None
    # ... and back again from the last page.
    back, first = walk(as_agent, last.json()["previous"], link="previous")
    assert [number for page in [*reversed(back), pages[-1]] for number in page] == expected
    assert first.json()["previous"] is None
    assert first.json()["next"] is not None


def test_new_incidents_logged_while_paging_neither_repeat_nor_hide_rows(as_agent, agent, desk):
    before = [log(agent, desk, title=f"Before {n}").number for n in range(5)]

    first = as_agent.get(LIST, {"page_size": 2}).json()
    log(agent, desk, title="Logged meanwhile")  # lands on top, before the first page
    rest, _last = walk(as_agent, first["next"])

    seen = [row["number"] for row in first["results"]] + [n for page in rest for n in page]
    assert seen == list(reversed(before))


def test_page_size_is_50_and_at_most_200(as_agent, agent, desk, monkeypatch):
    assert (KeysetCursorPagination.page_size, KeysetCursorPagination.max_page_size) == (50, 200)
    for n in range(4):
        log(agent, desk, title=f"Incident {n}")
    monkeypatch.setattr(KeysetCursorPagination, "max_page_size", 3)  # 3 stands for 200

    assert len(numbers(as_agent.get(LIST, {"page_size": 1000}))) == 3
    assert len(numbers(as_agent.get(LIST, {"page_size": 2}))) == 2
    assert len(numbers(as_agent.get(LIST, {"page_size": "lots"}))) == 4  # the default, 50


@pytest.mark.parametrize("cursor", ["not-base64!", "e30=", "eyJvIjoiLWlkIn0="])
def test_a_bad_or_foreign_cursor_is_a_400(as_agent, agent, desk, cursor):
    log(agent, desk)

    response = as_agent.get(LIST, {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_a_cursor_from_another_ordering_is_refused(as_agent, agent, desk):
    for _n in range(3):
        log(agent, desk)
    next_url = as_agent.get(LIST, {"page_size": 1, "ordering": "priority"}).json()["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]

    response = as_agent.get(LIST, {"page_size": 1, "ordering": "title", "cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_the_list_costs_the_same_queries_for_3_or_30_incidents(
    agent, desk, network, make_user, django_assert_max_num_queries
):
    def make(count):
        for n in range(count):
            group = [desk, network][n % 2]
            member = agent if group is desk else group.members.get()
            log(
                member,
                group,
                title=f"Incident {n}",
                requester=make_user(Role.END_USER),
                assignee=member if n % 3 else None,
            )

    def list_queries():
        client = client_for(User.objects.get(pk=agent.pk))  # no permission cache carried over
        with django_assert_max_num_queries(3) as queries:  # permissions (2), the page
            response = client.get(LIST, {"page_size": 200})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    make(3)
    client_for(agent).get(LIST)  # the priority levels' names come from the cache after this
    few = list_queries()
    make(27)
    many = list_queries()

    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


@pytest.mark.parametrize(
    ("query", "order_by"),
    [
        ({}, ["created_at DESC", "id DESC"]),  # the index inc_created_idx
        ({"status": ["new", "assigned"], "priority": 2}, ["created_at DESC", "id DESC"]),
        ({"ordering": "priority"}, ["priority ASC", "created_at ASC", "id ASC"]),
        ({"ordering": "-status"}, ["status DESC", "created_at DESC", "id DESC"]),
        ({"ordering": "number"}, ["number ASC"]),
    ],
)
def test_the_list_is_one_keyset_query_in_index_order(as_agent, agent, desk, query, order_by):
    log(agent, desk)
    with CaptureQueriesContext(connection) as queries:
        as_agent.get(LIST, query)

    listing = next(q["sql"] for q in queries if 'FROM "incidents_incident"' in q["sql"])
    expected = ", ".join('"incidents_incident"."{}" {}'.format(*term.split()) for term in order_by)
    assert f"ORDER BY {expected} LIMIT" in listing, listing
    assert "COUNT(" not in listing.upper()
    assert "DISTINCT" not in listing.upper()  # it would sort every matching row first
    assert "OFFSET" not in listing.upper()
    assert '"description"' not in listing  # the list reads only its columns


# --- Retrieve and visibility ----------------------------------------------------------------------


def test_an_incident_is_read_by_its_number(as_agent, agent, desk, tree):
    created = log(agent, desk, subcategory=tree["printer"], title="Printer jams")

    response = as_agent.get(url(created.number))

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == created.number
    assert body["version"] == created.version
    assert body["priority_name"] == "Medium"
    assert body["category"] == {"id": tree["hardware"].pk, "name": "Hardware"}
    assert body["allowed_transitions"] == [
        "assigned",
        "in_progress",
        "pending",
        "resolved",
        "cancelled",
    ]
    assert as_agent.get(url("INC9999999")).status_code == 404


def test_an_end_user_sees_only_their_own_incidents(agent, desk, end_user, make_user):
    own = log(agent, desk, requester=end_user, title="Mine")
    other = log(agent, desk, requester=make_user(Role.END_USER), title="Not mine")
    client = client_for(end_user)

    assert numbers(client.get(LIST)) == [own.number]
    assert numbers(client.get(LIST, {"requester": other.requester_id})) == []
    assert numbers(client.get(LIST, {"q": other.number})) == []
    assert client.get(url(own.number)).status_code == 200
    for path, method in [
        (url(other.number), "get"),
        (url(other.number, "comments"), "get"),
        (url(other.number, "comments"), "post"),
        (url(other.number, "timeline"), "get"),
        (url(other.number, "attachments"), "get"),
        (url(other.number, "reopen"), "post"),
        (url(other.number), "patch"),
    ]:
        response = getattr(client, method)(path, {"body": "Hello", "version": 1}, format="json")
        assert response.status_code == 404, (path, method)  # not 403: nothing leaks
        assert response.json() == {"detail": "Not found.", "errors": {}}


def test_an_end_user_sees_public_comments_only(agent, desk, end_user):
    created = log(agent, desk, requester=end_user)
    agent_client, user_client = client_for(agent), client_for(end_user)
    agent_client.post(
        url(created.number, "comments"),
        {"body": "<p>Checked the logs: the token expired.</p>", "visibility": "internal"},
        format="json",
    )
    agent_client.post(
        url(created.number, "comments"), {"body": "<p>Please restart.</p>"}, format="json"
    )
    posted = user_client.post(
        url(created.number, "comments"),
        {"body": "Done <script>x()</script>", "visibility": "internal"},
        format="json",
    )

    assert posted.status_code == 201
    assert posted.json()["visibility"] == "public"  # forced by the service
    assert posted.json()["body"] == "Done"
    seen_by_user = user_client.get(url(created.number, "comments")).json()
    seen_by_agent = agent_client.get(url(created.number, "comments")).json()
    assert [c["body"] for c in seen_by_user] == ["<p>Please restart.</p>", "Done"]
    assert [c["visibility"] for c in seen_by_agent] == ["internal", "public", "public"]
    assert seen_by_agent[0]["author"] == {"id": agent.pk, "name": "Arash Agent"}


def test_an_empty_comment_is_a_field_error(as_agent, agent, desk):
    created = log(agent, desk)
    before = counts()

    response = as_agent.post(
        url(created.number, "comments"), {"body": "<script></script>"}, format="json"
    )

    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert counts() == before


def test_the_timeline_merges_changes_comments_and_files_per_audience(
    agent, desk, end_user, media_root
):
    created = log(agent, desk, requester=end_user)
    agent_client = client_for(agent)
    agent_client.post(
        url(created.number, "assign"),
        {"support_group": desk.pk, "assignee": agent.pk},
        format="json",
    )
    agent_client.post(
        url(created.number, "comments"),
        {"body": "Internal", "visibility": "internal"},
        format="json",
    )
    agent_client.post(url(created.number, "comments"), {"body": "Public"}, format="json")
    agent_client.post(
        url(created.number, "attachments"),
        {"file": SimpleUploadedFile("log.txt", b"boot log", "text/plain")},
        format="multipart",
    )

    for_agent = agent_client.get(url(created.number, "timeline")).json()
    for_user = client_for(end_user).get(url(created.number, "timeline")).json()

    kinds = [(e["kind"], (e["event"] or {}).get("kind")) for e in for_agent]
    assert kinds[0] == ("event", "created")
    assert ("event", "assigned") in kinds and ("event", "status_changed") in kinds
    assert [e["comment"]["body"] for e in for_agent if e["kind"] == "comment"] == [
        "Internal",
        "Public",
    ]
    assert [e["attachment"]["filename"] for e in for_agent if e["kind"] == "attachment"] == [
        "log.txt"
    ]
    status_event = next(e for e in for_agent if (e["event"] or {}).get("field") == "status")
    assert status_event["event"]["field_label"] == "status"
    assert status_event["event"]["new_text"] == "Assigned"
    assert status_event["actor"] == {"id": agent.pk, "name": "Arash Agent"}
    assert [e["comment"]["body"] for e in for_user if e["kind"] == "comment"] == ["Public"]
    assert [e["attachment"]["filename"] for e in for_user if e["kind"] == "attachment"] == [
        "log.txt"
    ]
    # All but the internal note and who holds the work (assignments are agent-only events).
    assignments = [e for e in for_agent if (e["event"] or {}).get("kind") == "assigned"]
    assert assignments
    assert len(for_user) == len(for_agent) - 1 - len(assignments)
    assert all((e["event"] or {}).get("kind") != "assigned" for e in for_user)


# --- Edit -----------------------------------------------------------------------------------------


def test_patch_changes_facts_recomputes_the_priority_and_moves_the_version(as_agent, agent, desk):
    created = log(agent, desk, impact="low", urgency="low")

    response = as_agent.patch(
        url(created.number),
        {"impact": "high", "urgency": "high", "title": "Now it is everyone", "version": 1},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["priority"], body["title"], body["version"]) == (1, "Now it is everyone", 2)
    created.refresh_from_db()
    assert (created.priority, created.impact) == (1, "high")


def test_a_major_incidents_outage_window_is_set_through_the_api(as_agent, agent, desk):
    created = log(agent, desk, major_incident=True)

    inverted = as_agent.patch(
        url(created.number),
        {"outage_started_at": "2025-03-03T10:00:00Z", "outage_ended_at": "2025-03-03T09:00:00Z",
         "version": 1},
        format="json",
    )  # fmt: skip
    window = as_agent.patch(
        url(created.number),
        {"outage_started_at": "2025-03-03T10:00:00Z", "outage_ended_at": "2025-03-03T12:30:00Z",
         "version": 1},
        format="json",
    )  # fmt: skip

    assert inverted.status_code == 400
    assert "ends after it starts" in inverted.json()["errors"]["outage_ended_at"][0]
    assert window.status_code == 200, window.json()
    body = window.json()
    assert (body["outage_started_at"], body["outage_ended_at"]) == (
        "2025-03-03T10:00:00Z", "2025-03-03T12:30:00Z",
    )  # fmt: skip


def test_patch_without_a_version_is_a_field_error(as_agent, agent, desk):
    created = log(agent, desk)

    response = as_agent.patch(url(created.number), {"title": "New title"}, format="json")

    assert response.status_code == 400
    assert "version" in response.json()["errors"]
    created.refresh_from_db()
    assert created.title != "New title"


def test_a_stale_patch_is_a_409_and_changes_nothing(as_agent, agent, desk):
    created = log(agent, desk, title="Original")
    services.incident_update(incident_id=created.pk, actor=agent, changes={"urgency": "high"})
    before = counts()

    response = as_agent.patch(
        url(created.number), {"title": "Overwritten", "version": 1}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Somebody else changed this record")
    created.refresh_from_db()
    assert (created.title, created.version) == ("Original", 2)
    assert counts() == before


def test_a_stale_patch_with_nothing_to_change_is_a_409_too(as_agent, agent, desk):
    created = log(agent, desk)
    services.incident_update(incident_id=created.pk, actor=agent, changes={"urgency": "high"})

    assert as_agent.patch(url(created.number), {"version": 1}, format="json").status_code == 409
    assert as_agent.patch(url(created.number), {"version": 2}, format="json").status_code == 200


def test_patch_with_an_assignee_assigns_in_the_same_request(as_agent, agent, desk):
    created = log(agent, desk)

    response = as_agent.patch(
        url(created.number),
        {"assignee": agent.pk, "major_incident": True, "version": 1},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "assigned"
    assert body["assignee"]["id"] == agent.pk
    assert body["major_incident"] is True


def test_a_refused_assignment_rolls_back_the_facts_of_the_same_patch(
    as_agent, agent, desk, make_user
):
    created = log(agent, desk, title="Original")
    before = counts()

    response = as_agent.patch(
        url(created.number),
        {"title": "Changed", "assignee": make_user(Role.AGENT).pk, "version": 1},
        format="json",
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    created.refresh_from_db()
    assert (created.title, created.version) == ("Original", 1)
    assert counts() == before


def test_patch_to_another_group_leaves_it_in_that_groups_queue(as_agent, agent, desk, network):
    created = log(agent, desk, assignee=agent)

    body = as_agent.patch(
        url(created.number),
        {"support_group": network.pk, "version": created.version},
        format="json",
    ).json()

    assert body["support_group"]["id"] == network.pk
    assert body["assignee"] is None
    assert body["status"] == "new"


def test_put_is_not_allowed(as_agent, agent, desk):
    created = log(agent, desk)

    response = as_agent.put(url(created.number), {"title": "x", "version": 1}, format="json")

    assert response.status_code == 405


def test_an_end_user_cannot_edit_assign_or_resolve_their_incident(agent, desk, end_user):
    created = incident_in(S.IN_PROGRESS, agent=agent, support_group=desk, requester=end_user)
    client = client_for(end_user)
    before = counts()

    for action, payload in [
        ("", {"title": "Mine now", "version": created.version}),
        ("assign", {"support_group": desk.pk}),
        ("take", {}),
        ("resolve", {"resolution_code": "user_error", "resolution_notes": "Fixed it myself"}),
        ("close", {}),
        ("cancel", {}),
        ("transition", {"target": "cancelled"}),
    ]:
        method = client.patch if not action else client.post
        response = method(url(created.number, action), payload, format="json")
        assert response.status_code == 403, action
        assert response.json() == {"detail": STAFF_ONLY, "errors": {}}
    created.refresh_from_db()
    assert (created.status, created.title) == (S.IN_PROGRESS, "VPN drops every few minutes")
    assert counts() == before


# --- Assignment and the workflow ------------------------------------------------------------------


def test_the_whole_life_of_an_incident(agent, desk, end_user):
    agent_client, user_client = client_for(agent), client_for(end_user)
    number = user_client.post(
        LIST, {"title": "Cannot print", "impact": "low", "urgency": "high"}, format="json"
    ).json()["number"]

    def act(client, action, **payload):
        response = client.post(url(number, action), payload, format="json")
        assert response.status_code == 200, (action, response.json())
        return response.json()

    body = act(agent_client, "assign", support_group=desk.pk, assignee=agent.pk, version=1)
    assert (body["status"], body["assignee"]["id"]) == ("assigned", agent.pk)
    body = act(agent_client, "start", version=body["version"])
    assert body["status"] == "in_progress"
    body = act(agent_client, "pending", pending_reason="customer", note="Asked for the model")
    assert (body["status"], body["pending_reason"]) == ("pending", "customer")
    body = act(agent_client, "start")
    assert (body["status"], body["pending_reason"]) == ("in_progress", "")
    body = act(
        agent_client,
        "resolve",
        resolution_code="solved_workaround",
        resolution_notes="<p>Installed the driver.</p>",
        version=body["version"],
    )
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert body["allowed_transitions"] == ["new", "in_progress", "closed"]
    body = act(user_client, "reopen", note="Still jams")
    assert (body["status"], body["reopen_count"], body["resolution_code"]) == ("in_progress", 1, "")
    body = act(
        agent_client,
        "resolve",
        resolution_code="solved_permanently",
        resolution_notes="Replaced the roller.",
    )
    assert body["status"] == "resolved"
    body = act(agent_client, "close")
    assert body["status"] == "closed"
    assert body["closed_at"] is not None
    assert body["allowed_transitions"] == []

    statuses = [
        e["event"]["new_text"]
        for e in agent_client.get(url(number, "timeline")).json()
        if e["kind"] == "event" and e["event"]["field"] == "status"
    ]
    assert statuses == [
        "Assigned",
        "In progress",
        "Pending",
        "In progress",
        "Resolved",
        "In progress",
        "Resolved",
        "Closed",
    ]
    closed_edit = agent_client.patch(
        url(number), {"title": "x", "version": body["version"]}, format="json"
    )
    assert closed_edit.status_code == 409


def test_reopening_an_unassigned_incident_puts_it_back_in_the_queue(agent, desk, end_user):
    created = log(agent, desk, requester=end_user)
    services.incident_transition(
        incident_id=created.pk,
        actor=agent,
        target=S.RESOLVED,
        resolution_code="not_reproducible",
        resolution_notes="Works for me",
    )

    body = client_for(end_user).post(url(created.number, "reopen"), format="json").json()

    assert body["status"] == "new"


def test_take_makes_the_caller_the_assignee(as_agent, agent, desk):
    created = log(agent, desk)

    body = as_agent.post(url(created.number, "take"), {"version": 1}, format="json").json()

    assert (body["status"], body["assignee"]["id"], body["support_group"]["id"]) == (
        "assigned",
        agent.pk,
        desk.pk,
    )


def test_assigning_someone_outside_the_group_is_a_field_error(as_agent, agent, desk, network):
    created = log(agent, desk)

    response = as_agent.post(
        url(created.number, "assign"),
        {"support_group": network.pk, "assignee": agent.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


@pytest.mark.parametrize(
    ("action", "payload", "message"),
    [
        ("start", {}, "Assign the incident to someone before it is worked on."),
        ("close", {}, "A record cannot go from “New” to “Closed”."),
        ("reopen", {}, "A record cannot go from “New” to “New”."),
        ("transition", {"target": "closed"}, "A record cannot go from “New” to “Closed”."),
    ],
)
def test_a_refused_transition_is_a_409_with_the_reason(
    as_agent, agent, desk, action, payload, message
):
    created = log(agent, desk)
    before = counts()

    response = as_agent.post(url(created.number, action), payload, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": message, "errors": {}}
    assert counts() == before


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("pending", {}, "pending_reason"),
        ("pending", {"pending_reason": "weather"}, "pending_reason"),
        ("pending", {"pending_reason": ""}, "pending_reason"),
        ("transition", {"target": "pending", "pending_reason": ""}, "pending_reason"),
        ("resolve", {"resolution_notes": "Done"}, "resolution_code"),
        ("resolve", {"resolution_code": "duplicate"}, "resolution_notes"),
        ("transition", {"target": "lost"}, "target"),
        ("assign", {}, "support_group"),
        ("start", {"version": "two"}, "version"),
        ("start", {"stauts": "typo"}, "stauts"),
    ],
)
def test_action_input_errors_are_field_errors(as_agent, agent, desk, action, payload, field):
    created = incident_in(S.IN_PROGRESS, agent=agent, support_group=desk)

    response = as_agent.post(url(created.number, action), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_action_on_a_stale_version_is_a_409(as_agent, agent, desk):
    created = incident_in(S.IN_PROGRESS, agent=agent, support_group=desk)

    response = as_agent.post(
        url(created.number, "resolve"),
        {"resolution_code": "duplicate", "resolution_notes": "See INC1", "version": 1},
        format="json",
    )

    assert response.status_code == 409
    created.refresh_from_db()
    assert created.status == S.IN_PROGRESS


def test_the_generic_transition_takes_what_the_target_needs(as_agent, agent, desk):
    created = incident_in(S.IN_PROGRESS, agent=agent, support_group=desk)

    body = as_agent.post(
        url(created.number, "transition"),
        {"target": "pending", "pending_reason": "supplier", "note": "RMA"},
        format="json",
    ).json()

    assert (body["status"], body["pending_reason"]) == ("pending", "supplier")


# --- Attachments ----------------------------------------------------------------------------------


def test_a_file_is_attached_and_listed(agent, desk, end_user, media_root):
    created = log(agent, desk, requester=end_user)
    user_client = client_for(end_user)

    response = user_client.post(
        url(created.number, "attachments"),
        {
            "file": SimpleUploadedFile("report.pdf", PDF, "application/pdf"),
            "visibility": "internal",
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["filename"], body["mime_type"], body["size"]) == (
        "report.pdf",
        "application/pdf",
        len(PDF),
    )
    assert body["visibility"] == "public"  # end users cannot hide files from themselves
    assert body["uploaded_by"] == {"id": end_user.pk, "name": "Emma Enduser"}
    client_for(agent).post(
        url(created.number, "attachments"),
        {
            "file": SimpleUploadedFile("notes.txt", b"internal", "text/plain"),
            "visibility": "internal",
        },
        format="multipart",
    )
    assert [a["filename"] for a in user_client.get(url(created.number, "attachments")).json()] == [
        "report.pdf"
    ]
    assert [
        a["filename"] for a in client_for(agent).get(url(created.number, "attachments")).json()
    ] == ["report.pdf", "notes.txt"]


def test_every_file_the_api_shows_has_a_download_url_with_the_timelines_rules(
    agent, desk, end_user, make_user, media_root
):
    created = log(agent, desk, requester=end_user)
    uploaded = client_for(end_user).post(
        url(created.number, "attachments"),
        {"file": SimpleUploadedFile("report.pdf", PDF, "application/pdf")},
        format="multipart",
    )
    services.incident_comment(
        incident_id=created.pk, actor=end_user, body="Screenshot",
        files=[SimpleUploadedFile("shot.txt", b"public", "text/plain")],
    )  # fmt: skip
    services.incident_comment(
        incident_id=created.pk, actor=agent, body="Quote", visibility="internal",
        files=[SimpleUploadedFile("quote.txt", b"EUR 400", "text/plain")],
    )  # fmt: skip
    ids = dict(Attachment.objects.values_list("filename", "pk"))

    def link(name):
        return f"http://testserver/attachments/{ids[name]}/download/"

    assert uploaded.status_code == 201
    assert uploaded.json()["download_url"] == link("report.pdf")
    as_agent, as_user = client_for(agent), client_for(end_user)
    listed = {
        a["filename"]: a["download_url"]
        for a in as_agent.get(url(created.number, "attachments")).json()
    }
    assert listed == {name: link(name) for name in ("report.pdf", "shot.txt", "quote.txt")}
    timeline = as_user.get(url(created.number, "timeline")).json()
    shown = [e["attachment"]["download_url"] for e in timeline if e["kind"] == "attachment"]
    shown += [
        file["download_url"]
        for e in timeline
        if e["kind"] == "comment"
        for file in e["comment"]["attachments"]
    ]
    assert shown == [link("report.pdf"), link("shot.txt")]
    comments = as_agent.get(url(created.number, "comments")).json()
    assert [f["download_url"] for c in comments for f in c["attachments"]] == [
        link("shot.txt"),
        link("quote.txt"),
    ]

    def fetch(person, name):
        browser = APIClient()
        browser.force_login(person)
        return browser.get(link(name))

    requester_gets = fetch(end_user, "report.pdf")
    assert requester_gets.status_code == 200
    assert b"".join(requester_gets.streaming_content) == PDF
    assert requester_gets["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert fetch(end_user, "quote.txt").status_code == 404
    assert fetch(make_user(Role.END_USER), "report.pdf").status_code == 404
    assert fetch(agent, "quote.txt").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("huge.pdf", PDF + b"x" * 100, "files may be at most"),
        ("setup.exe", b"MZ\x90\x00rest", "is not a file type we accept"),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n", "is not a file type we accept"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_a_refused_file_is_a_400_on_the_file_field(
    as_agent, agent, desk, media_root, settings, name, content, message
):
    settings.ATTACHMENT_MAX_BYTES = len(PDF) + 10
    created = log(agent, desk)
    before = counts()

    response = as_agent.post(
        url(created.number, "attachments"),
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["file"])
    assert counts() == before
    assert [path for path in media_root.rglob("*") if path.is_file()] == []  # no stray file


def test_no_file_is_a_field_error(as_agent, agent, desk, media_root):
    created = log(agent, desk)

    response = as_agent.post(url(created.number, "attachments"), {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


# --- Authentication, concurrency, schema ----------------------------------------------------------


def test_a_token_from_the_token_endpoint_signs_in(agent, desk):
    created = log(agent, desk)
    client = APIClient()
    missing = client.get(LIST)
    assert missing.status_code == 401 and missing["WWW-Authenticate"] == "Token"

    token = client.post(
        "/api/v1/auth/token/", {"email": agent.email, "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.get(LIST)
    assert response.status_code == 200
    assert numbers(response) == [created.number]
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    refused = client.get(LIST)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    assert refused.json() == {"detail": "Invalid token.", "errors": {}}


def test_a_browser_session_signs_in(client, agent, desk):
    created = log(agent, desk)
    client.force_login(agent)

    response = client.get(url(created.number))

    assert response.status_code == 200
    assert response.json()["number"] == created.number


def test_two_patches_on_one_version_one_wins_one_gets_409(agent, desk):
    created = log(agent, desk, title="Original")
    first, second = client_for(agent), client_for(agent)

    one = first.patch(url(created.number), {"title": "First", "version": 1}, format="json")
    two = second.patch(url(created.number), {"title": "Second", "version": 1}, format="json")

    assert (one.status_code, two.status_code) == (200, 409)
    created.refresh_from_db()
    assert (created.title, created.version) == ("First", 2)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_patches_on_one_version_one_wins_one_gets_409(make_user):
    agent = make_user(Role.AGENT, full_name="Arash Agent")
    group = SupportGroupFactory(members=[agent])
    with transaction.atomic():
        created = services.incident_create(
            actor=agent, title="Original", impact="low", urgency="low", support_group=group
        )
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def patch(title):
        try:
            client = client_for(agent)
            barrier.wait(timeout=10)
            response = client.patch(
                url(created.number), {"title": title, "version": 1}, format="json"
            )
            results[title] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=(title,)) for title in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == [200, 409]
    winner = next(title for title, code in results.items() if code == 200)
    created.refresh_from_db()
    assert (created.title, created.version) == (winner, 2)
    changes = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=created.pk,
        field="title",
    )
    assert changes.count() == 1


def test_the_schema_documents_the_incidents_api(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/v1/incidents/",
        "/api/v1/incidents/{number}/",
        "/api/v1/incidents/{number}/resolve/",
        "/api/v1/incidents/{number}/comments/",
        "/api/v1/incidents/{number}/attachments/",
        "/api/v1/incidents/{number}/timeline/",
    ):
        assert path in paths, path
    assert "put" not in paths["/api/v1/incidents/{number}/"]
    listing = {p["name"] for p in paths["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"cursor", "page_size", "ordering", "status", "priority", "q", "unassigned"} <= listing


def test_the_api_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert not re.search(r"https?://", html), html  # nothing from a CDN (closed networks)
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", html), html  # nor protocol-relative
    # Its settings come as a script of ours (not inline, for the Content-Security-Policy).
    assert 'src="/api/docs/?script="' in html
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    code = script.content.decode()
    assert '"validatorUrl": null' in code  # no Swagger UI badge from validator.swagger.io
    assert not re.search(r"https?://", code), code
