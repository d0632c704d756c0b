"""The agent workspace's incident pages through the Django test client: the queue (queues, filters,
sort, pages, htmx), saved filters, bulk actions, logging an incident or a call, the record page,
inline edit, take / assign / status / comment, and the workspace's queue cards."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident, SavedFilter
from servicedesk.models import AuditKind, Comment, Visibility
from servicedesk.services import attachment_add
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    EndUserFactory,
    SubcategoryFactory,
    SupportGroupFactory,
    audit_events,
    incident,
    transition,
)

S = IncidentStatus
QUEUE = "/incidents/"
HTMX = {"HX-Request": "true"}
ROW_NUMBER = re.compile(r">(INC\d{7})</a>")

# impact, urgency -> the seed matrix's priority
P1 = {"impact": "high", "urgency": "high"}
P2 = {"impact": "high", "urgency": "medium"}
P3 = {"impact": "medium", "urgency": "medium"}
P4 = {"impact": "medium", "urgency": "low"}
P5 = {"impact": "low", "urgency": "low"}


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def desk(db):
    """An agent and a colleague in the Service Desk, a network engineer in another team, and a
    requester; a category with a subcategory and a second category with its own."""
    agent = AgentFactory(email="arash@example.com", full_name="Arash Agent")
    colleague = AgentFactory(email="lena@example.com", full_name="Lena Lead")
    engineer = AgentFactory(email="nima@example.com", full_name="Nima Network")
    requester = EndUserFactory(email="emma@example.com", full_name="Emma Wilson")
    group = SupportGroupFactory(name="Service Desk", members=[agent, colleague])
    network_team = SupportGroupFactory(name="Network Team", members=[engineer])
    network = CategoryFactory(name="Network")
    vpn = SubcategoryFactory(name="VPN", parent=network)
    printing = CategoryFactory(name="Printing")
    toner = SubcategoryFactory(name="Toner", parent=printing)
    return SimpleNamespace(
        agent=agent,
        colleague=colleague,
        engineer=engineer,
        requester=requester,
        group=group,
        network_team=network_team,
        network=network,
        vpn=vpn,
        printing=printing,
        toner=toner,
    )


@pytest.fixture
def agent_client(client, desk):
    client.force_login(desk.agent)
    return client


def log(desk, title="VPN drops every few minutes", *, actor=None, **fields):
    """An incident for the desk's requester, owned by the Service Desk unless told otherwise."""
    fields.setdefault("requester", desk.requester)
    fields.setdefault("support_group", desk.group)
    for key, value in P3.items():
        fields.setdefault(key, value)
    return incident(actor=actor or desk.agent, title=title, **fields)


def numbers(response) -> list[str]:
    """The incident numbers of the queue's rows, in the order shown."""
    return ROW_NUMBER.findall(response.content.decode())


def messages_of(response) -> list[tuple[str, str]]:
    """(level, text) of the messages a (followed) response shows."""
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def html(response) -> str:
    return response.content.decode()


def status_buttons(page: str) -> list[str]:
    """The targets of the record header's one-click status buttons, in the order shown."""
    header = page.split('<div class="record-layout">')[0]
    forms = re.findall(r'<form method="post" action="[^"]*/status/">(.*?)</form>', header, re.S)
    return [re.search(r'name="target" value="(\w+)"', form)[1] for form in forms]


def reload(record):
    record.refresh_from_db()
    return record


def bulk_open_incidents(desk, count, *, start=0, **fields):
    """`count` open incidents in one INSERT (for tests about sizes, not about the services)."""
    base = 9_000_000 + start
    rows = [
        Incident(
            number=f"INC{base + i:07d}",
            title=f"Bulk incident {chr(97 + i % 26)}",
            requester=fields.get("requester", desk.requester),
            support_group=fields.get("support_group", desk.group),
            assignee=fields.get("assignee"),
            status=fields.get("status", S.NEW),
            impact="medium",
            urgency="medium",
            priority=3,
            major_incident=fields.get("major_incident", False),
            category=fields.get("category"),
        )
        for i in range(count)
    ]
    return Incident.objects.bulk_create(rows)


# --- who may open the queue ---------------------------------------------------------------------


class TestQueueAccess:
    def test_an_end_user_is_refused(self, client, desk):
        client.force_login(desk.requester)
        assert client.get(QUEUE).status_code == 403

    def test_an_anonymous_visitor_is_sent_to_sign_in(self, client, db):
        response = client.get(QUEUE)
        assert response.status_code == 302
        assert response.url == "/accounts/login/?next=/incidents/"


# --- queues -------------------------------------------------------------------------------------


class TestQueues:
    def test_the_default_queue_shows_open_incidents_by_priority_then_oldest(
        self, agent_client, desk
    ):
        t0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        # Logged in this order, but with the clock set so that "oldest" and "logged first"
        # disagree for the two P3s.
        with time_machine.travel(t0 + timedelta(hours=2), tick=False):
            p3_newer = log(desk, "Printer offline", **P3)
        with time_machine.travel(t0, tick=False):
            p3_older = log(desk, "Shared drive slow", **P3)
        with time_machine.travel(t0 + timedelta(hours=3), tick=False):
            p1 = log(desk, "Payroll down", **P1)
            p4 = log(desk, "Mouse squeaks", **P4)
        with time_machine.travel(t0 + timedelta(hours=1), tick=False):
            p2 = log(desk, "Mail delayed", **P2)
            closed = log(desk, "Old and done", **P1, assignee=desk.agent)
            transition(closed, desk.agent, S.RESOLVED)
            transition(closed, desk.agent, S.CLOSED)

        response = agent_client.get(QUEUE)

        assert response.status_code == 200
        assert numbers(response) == [
            p1.number,
            p2.number,
            p3_older.number,
            p3_newer.number,
            p4.number,
        ]
        assert closed.number not in html(response)
        assert response.context["queue"] == "open"

    def test_mine_shows_only_the_agents_open_incidents(self, agent_client, desk):
        mine = log(desk, "Mine", assignee=desk.agent)
        theirs = log(desk, "Theirs", assignee=desk.colleague)
        nobodys = log(desk, "Nobody's")
        mine_done = log(desk, "Mine but resolved", assignee=desk.agent)
        transition(mine_done, desk.agent, S.RESOLVED)

        response = agent_client.get(QUEUE, {"queue": "mine"})

        assert numbers(response) == [mine.number]
        assert theirs.number not in html(response) and nobodys.number not in html(response)

    def test_unassigned_shows_unassigned_incidents_of_the_agents_groups_only(
        self, agent_client, desk
    ):
        ours = log(desk, "Ours and free")
        ours_taken = log(desk, "Ours but taken", assignee=desk.colleague)
        other_team = log(desk, "The network team's", support_group=desk.network_team)
        led_team = SupportGroupFactory(name="Led Team", lead=desk.agent)
        led = log(desk, "In the team the agent leads", support_group=led_team)

        response = agent_client.get(QUEUE, {"queue": "unassigned"})

        assert sorted(numbers(response)) == sorted([ours.number, led.number])
        assert ours_taken.number not in html(response)
        assert other_team.number not in html(response)

    def test_major_shows_only_open_major_incidents(self, agent_client, desk):
        major = log(desk, "Data centre power", major_incident=True)
        log(desk, "Ordinary")
        major_done = log(desk, "Earlier outage", major_incident=True, assignee=desk.agent)
        transition(major_done, desk.agent, S.RESOLVED)

        response = agent_client.get(QUEUE, {"queue": "major"})

        assert numbers(response) == [major.number]
        assert "badge-major" in html(response)

    def test_all_includes_closed_and_cancelled_newest_first(self, agent_client, desk):
        opened = log(desk, "Still open")
        closed = log(desk, "Closed one", assignee=desk.agent)
        transition(closed, desk.agent, S.RESOLVED)
        transition(closed, desk.agent, S.CLOSED)
        cancelled = log(desk, "Cancelled one")
        transition(cancelled, desk.agent, S.CANCELLED)

        response = agent_client.get(QUEUE, {"queue": "all"})

        assert numbers(response) == [cancelled.number, closed.number, opened.number]

    def test_an_unknown_queue_name_falls_back_to_open(self, agent_client, desk):
        opened = log(desk, "Open")
        response = agent_client.get(QUEUE, {"queue": "nonsense"})
        assert response.context["queue"] == "open"
        assert numbers(response) == [opened.number]


# --- filters ------------------------------------------------------------------------------------


class TestFilters:
    @pytest.fixture
    def spread(self, desk):
        """Incidents that differ in one fact each."""
        return SimpleNamespace(
            vpn=log(desk, "VPN tunnel drops", category=desk.network, support_group=desk.group),
            printer=log(
                desk, "Printer jams", category=desk.printing, support_group=desk.network_team, **P1
            ),
            taken=log(desk, "Laptop fan loud", assignee=desk.colleague, **P4),
            pending=log(desk, "Waiting on vendor", assignee=desk.agent),
        )

    @pytest.fixture(autouse=True)
    def _put_one_on_hold(self, spread, desk):
        transition(spread.pending, desk.agent, S.PENDING)

    def test_by_status(self, agent_client, spread):
        response = agent_client.get(QUEUE, {"status": "pending"})
        assert numbers(response) == [spread.pending.number]

    def test_by_several_statuses(self, agent_client, spread):
        response = agent_client.get(QUEUE + "?status=pending&status=assigned")
        assert sorted(numbers(response)) == sorted([spread.pending.number, spread.taken.number])

    def test_by_priority(self, agent_client, spread):
        response = agent_client.get(QUEUE, {"priority": "1"})
        assert numbers(response) == [spread.printer.number]

    def test_by_support_group(self, agent_client, spread, desk):
        response = agent_client.get(QUEUE, {"support_group": desk.network_team.pk})
        assert numbers(response) == [spread.printer.number]

    def test_by_assignee(self, agent_client, spread, desk):
        response = agent_client.get(QUEUE, {"assignee": desk.colleague.pk})
        assert numbers(response) == [spread.taken.number]

    def test_by_category(self, agent_client, spread, desk):
        response = agent_client.get(QUEUE, {"category": desk.network.pk})
        assert numbers(response) == [spread.vpn.number]

    def test_search_by_full_number(self, agent_client, spread):
        response = agent_client.get(QUEUE, {"q": spread.taken.number})
        assert numbers(response) == [spread.taken.number]

    def test_search_by_the_number_without_prefix_and_zeros(self, agent_client, spread):
        digits = str(int(spread.taken.number.removeprefix("INC")))
        response = agent_client.get(QUEUE, {"q": digits})
        assert numbers(response) == [spread.taken.number]

    def test_search_by_a_lower_case_number(self, agent_client, spread):
        response = agent_client.get(QUEUE, {"q": spread.vpn.number.lower()})
        assert numbers(response) == [spread.vpn.number]

    def test_search_by_a_word_of_the_title(self, agent_client, spread):
        response = agent_client.get(QUEUE, {"q": "jams"})
        assert numbers(response) == [spread.printer.number]

    def test_filters_combine(self, agent_client, spread, desk):
        response = agent_client.get(
            QUEUE, {"support_group": desk.group.pk, "assignee": desk.agent.pk}
        )
        assert numbers(response) == [spread.pending.number]

    def test_the_chosen_filters_stay_selected_in_the_filter_bar(self, agent_client, spread):
        page = html(agent_client.get(QUEUE, {"status": "pending", "q": "vendor"}))
        assert '<option value="pending" selected>' in page
        assert 'value="vendor"' in page

    def test_the_filter_bars_any_options_do_not_undo_the_other_filters(self, agent_client, spread):
        every_field = {"status": "", "priority": "", "support_group": "", "assignee": ""}
        response = agent_client.get(QUEUE, {"q": "jams", **every_field, "category": ""})
        assert numbers(response) == [spread.printer.number]
        response = agent_client.get(QUEUE, {"status": ["", "pending"], "priority": ""})
        assert numbers(response) == [spread.pending.number]

    def test_an_invalid_filter_value_shows_the_unfiltered_queue(self, agent_client, spread):
        response = agent_client.get(QUEUE, {"priority": "banana"})
        assert response.status_code == 200
        assert len(numbers(response)) == 4


# --- sort and pages -----------------------------------------------------------------------------


class TestSortAndPages:
    @pytest.fixture
    def three(self, desk):
        return [
            log(desk, "Bravo printer", **P1),
            log(desk, "Charlie scanner", **P5),
            log(desk, "Alpha monitor", **P3),
        ]

    def test_sort_by_number_descending(self, agent_client, three):
        response = agent_client.get(QUEUE, {"sort": "-number"})
        assert numbers(response) == sorted((i.number for i in three), reverse=True)

    def test_sort_by_title(self, agent_client, three):
        bravo, charlie, alpha = three
        response = agent_client.get(QUEUE, {"sort": "title"})
        assert numbers(response) == [alpha.number, bravo.number, charlie.number]

    def test_the_sorted_column_link_toggles_the_direction(self, agent_client, three):
        page = html(agent_client.get(QUEUE, {"sort": "title"}))
        assert 'href="?sort=-title"' in page
        assert 'href="?sort=number"' in page

    def test_an_unknown_sort_key_falls_back_to_priority(self, agent_client, three):
        bravo, charlie, alpha = three
        response = agent_client.get(QUEUE, {"sort": "password"})
        assert numbers(response) == [bravo.number, alpha.number, charlie.number]

    def test_pages_without_counting_the_table(self, agent_client, three, settings):
        settings.QUEUE_PAGE_SIZE = 2
        bravo, charlie, alpha = three

        with CaptureQueriesContext(connection) as first_page:
            response = agent_client.get(QUEUE)
        assert numbers(response) == [bravo.number, alpha.number]
        assert 'rel="next"' in html(response)
        assert 'rel="prev"' not in html(response)
        cursor = response.context["page"].next_cursor
        assert f"cursor={cursor}" in html(response)

        with CaptureQueriesContext(connection) as second_page:
            response = agent_client.get(QUEUE, {"cursor": cursor})
        assert numbers(response) == [charlie.number]
        assert 'rel="next"' not in html(response)
        assert 'rel="prev"' in html(response)
        back = agent_client.get(QUEUE, {"cursor": response.context["page"].previous_cursor})
        assert numbers(back) == [bravo.number, alpha.number]

        for captured in (first_page, second_page):
            sql = " ".join(q["sql"].upper() for q in captured.captured_queries)
            assert "COUNT(" not in sql
        assert "OFFSET" not in sql

    def test_the_next_link_keeps_the_queue_filters_and_sort(self, agent_client, three, settings):
        settings.QUEUE_PAGE_SIZE = 1
        response = agent_client.get(QUEUE, {"queue": "open", "sort": "title"})
        cursor = response.context["page"].next_cursor
        assert f'href="?queue=open&amp;sort=title&amp;cursor={cursor}"' in html(response)

    def test_pages_sorted_across_a_relation_go_forward_and_back(
        self, agent_client, three, settings
    ):
        settings.QUEUE_PAGE_SIZE = 1
        shown, response = [], agent_client.get(QUEUE, {"queue": "all", "sort": "-assignee"})
        while True:
            shown += numbers(response)
            if not response.context["page"].has_next:
                break
            cursor = response.context["page"].next_cursor
            response = agent_client.get(
                QUEUE, {"queue": "all", "sort": "-assignee", "cursor": cursor}
            )
        assert sorted(shown) == sorted(i.number for i in three)
        cursor = response.context["page"].previous_cursor
        back = agent_client.get(QUEUE, {"queue": "all", "sort": "-assignee", "cursor": cursor})
        assert numbers(back) == shown[-2:-1]

    def test_a_nonsense_cursor_is_the_first_page(self, agent_client, three, settings):
        settings.QUEUE_PAGE_SIZE = 2
        first = numbers(agent_client.get(QUEUE))
        for cursor in ("abc", "0", "eyJvIjoieCJ9"):
            response = agent_client.get(QUEUE, {"cursor": cursor})
            assert numbers(response) == first
            assert not response.context["page"].has_previous

    def test_a_cursor_made_for_another_sort_is_the_first_page(self, agent_client, three, settings):
        settings.QUEUE_PAGE_SIZE = 1
        cursor = agent_client.get(QUEUE, {"sort": "title"}).context["page"].next_cursor
        response = agent_client.get(QUEUE, {"sort": "-created", "cursor": cursor})
        assert numbers(response) == numbers(agent_client.get(QUEUE, {"sort": "-created"}))

    def test_the_number_of_queries_does_not_grow_with_the_rows(
        self, agent_client, desk, private_cache
    ):
        """3 or 30 rows with different requesters, assignees, groups and categories: the same
        number of queries (no query per row)."""

        def varied(count, start):
            for i in range(count):
                requester = EndUserFactory()
                group = desk.group if i % 2 else desk.network_team
                assignee = (desk.agent if i % 2 else desk.engineer) if i % 3 else None
                category = desk.network if i % 2 else desk.printing
                log(
                    desk,
                    f"Row {start + i}",
                    requester=requester,
                    support_group=group,
                    assignee=assignee,
                    category=category,
                )

        varied(3, 0)
        agent_client.get(QUEUE)  # warm the caches (priority levels, content types)
        with CaptureQueriesContext(connection) as few:
            response = agent_client.get(QUEUE)
        assert len(numbers(response)) == 3

        varied(27, 3)
        agent_client.get(QUEUE)
        with CaptureQueriesContext(connection) as many:
            response = agent_client.get(QUEUE)
        assert len(numbers(response)) == 30

        assert len(many.captured_queries) == len(few.captured_queries)

    def test_an_htmx_request_gets_only_the_table(self, agent_client, three):
        response = agent_client.get(QUEUE, {"sort": "title"}, headers=HTMX)
        body = html(response)
        assert response.status_code == 200
        assert "<html" not in body and "<body" not in body
        assert '<table class="table queue-table' in body
        assert "Saved filters" not in body
        assert len(numbers(response)) == 3
        assert [t.name for t in response.templates][0] == "incidents/_queue_table.html"

    def test_a_full_request_gets_the_whole_page(self, agent_client, three):
        body = html(agent_client.get(QUEUE))
        assert "<html" in body
        assert 'id="queue-table"' in body


# --- saved filters ------------------------------------------------------------------------------


class TestSavedFilters:
    URL = "/incidents/filters/"

    def test_saving_stores_it_for_the_user_and_opens_the_queue_with_it(self, agent_client, desk):
        response = agent_client.post(
            self.URL, {"name": "My pending", "query": "queue=mine&status=pending"}
        )

        assert response.status_code == 302
        assert response.url == "/incidents/?queue=mine&status=pending"
        saved = SavedFilter.objects.get()
        assert (saved.owner, saved.name, saved.query) == (
            desk.agent,
            "My pending",
            "queue=mine&status=pending",
        )
        followed = agent_client.get(response.url)
        assert ("success", "Filter “My pending” saved.") in messages_of(followed)
        assert 'href="?queue=mine&amp;status=pending">My pending</a>' in html(followed)

    def test_the_side_list_shows_only_the_owners_filters(self, client, desk):
        SavedFilter.objects.create(owner=desk.colleague, name="Lena's view", query="queue=major")
        SavedFilter.objects.create(owner=desk.agent, name="Arash's view", query="queue=mine")
        client.force_login(desk.agent)

        page = html(client.get(QUEUE))

        assert "Arash&#x27;s view" in page
        assert "Lena&#x27;s view" not in page

    def test_saving_under_the_same_name_updates_it(self, agent_client, desk):
        agent_client.post(self.URL, {"name": "Mine", "query": "queue=mine"})
        response = agent_client.post(
            self.URL, {"name": "Mine", "query": "queue=mine&priority=1"}, follow=True
        )

        saved = SavedFilter.objects.get()
        assert saved.query == "queue=mine&priority=1"
        assert ("success", "Filter “Mine” updated.") in messages_of(response)

    def test_two_people_may_use_the_same_name(self, client, desk):
        for person, query in ((desk.agent, "queue=mine"), (desk.colleague, "queue=major")):
            client.force_login(person)
            client.post(self.URL, {"name": "Daily", "query": query})
        assert SavedFilter.objects.filter(name="Daily").count() == 2
        assert SavedFilter.objects.get(owner=desk.agent).query == "queue=mine"

    def test_a_filter_without_a_name_is_not_saved(self, agent_client):
        response = agent_client.post(self.URL, {"name": "", "query": "queue=major"}, follow=True)
        assert SavedFilter.objects.count() == 0
        assert ("error", "Give the filter a name.") in messages_of(response)
        assert response.redirect_chain[-1][0] == "/incidents/?queue=major"

    def test_the_owner_deletes_it(self, agent_client, desk):
        saved = SavedFilter.objects.create(owner=desk.agent, name="Old", query="queue=all")

        response = agent_client.post(f"/incidents/filters/{saved.pk}/delete/", follow=True)

        assert not SavedFilter.objects.exists()
        assert ("success", "Filter “Old” deleted.") in messages_of(response)

    def test_nobody_else_can_delete_it(self, agent_client, desk):
        saved = SavedFilter.objects.create(owner=desk.colleague, name="Lena's", query="queue=all")

        response = agent_client.post(f"/incidents/filters/{saved.pk}/delete/")

        assert response.status_code == 404
        assert SavedFilter.objects.filter(pk=saved.pk).exists()

    def test_deleting_needs_a_post(self, agent_client, desk):
        saved = SavedFilter.objects.create(owner=desk.agent, name="Keep", query="queue=all")
        assert agent_client.get(f"/incidents/filters/{saved.pk}/delete/").status_code == 405
        assert SavedFilter.objects.filter(pk=saved.pk).exists()


# --- bulk actions -------------------------------------------------------------------------------


class TestBulk:
    URL = "/incidents/bulk/"

    def post(self, client, action, incidents, **extra):
        data = {"action": action, "incidents": [i.pk for i in incidents], **extra}
        data.setdefault("next", "/incidents/?queue=all")
        return client.post(self.URL, data, follow=True)

    def test_take_assigns_all_selected_to_the_agent(self, agent_client, desk):
        first = log(desk, "First")
        second = log(desk, "Second", support_group=desk.network_team)

        response = self.post(agent_client, "take", [first, second])

        for record in (first, second):
            reload(record)
            assert (record.assignee, record.support_group, record.status) == (
                desk.agent,
                desk.group,
                S.ASSIGNED,
            )
        assert response.redirect_chain[-1][0] == "/incidents/?queue=all"
        [(level, text)] = messages_of(response)
        assert level == "success"
        assert text.startswith("Done for 2 incident(s): ")
        assert first.number in text and second.number in text

    def test_assign_gives_them_to_a_group(self, agent_client, desk):
        first = log(desk, "First", assignee=desk.agent)
        second = log(desk, "Second")

        self.post(agent_client, "assign", [first, second], support_group=desk.network_team.pk)

        for record in (first, second):
            reload(record)
            assert (record.support_group, record.assignee) == (desk.network_team, None)
            assert record.status == S.NEW
        assert reload(first).reassignment_count == 1

    def test_status_cancels_them(self, agent_client, desk):
        first = log(desk, "First")
        second = log(desk, "Second", assignee=desk.agent)

        self.post(agent_client, "status", [first, second], target="cancelled")

        assert {reload(first).status, reload(second).status} == {S.CANCELLED}

    def test_a_mixed_selection_reports_what_was_done_and_what_failed(self, agent_client, desk):
        open_one = log(desk, "Open one")
        other_open = log(desk, "Other open one")
        closed = log(desk, "Closed one", assignee=desk.agent)
        transition(closed, desk.agent, S.RESOLVED)
        transition(closed, desk.agent, S.CLOSED)
        closed_version = reload(closed).version

        response = self.post(
            agent_client, "status", [open_one, closed, other_open], target="cancelled"
        )

        assert reload(open_one).status == S.CANCELLED
        assert reload(other_open).status == S.CANCELLED
        reload(closed)
        assert (closed.status, closed.version) == (S.CLOSED, closed_version)
        shown = dict(messages_of(response))
        assert shown["success"].startswith("Done for 2 incident(s):")
        assert open_one.number in shown["success"] and other_open.number in shown["success"]
        assert closed.number not in shown["success"]
        assert (
            shown["error"] == f"{closed.number}: A record cannot go from “Closed” to “Cancelled”."
        )

    def test_take_refuses_a_closed_incident_and_does_the_rest(self, agent_client, desk):
        open_one = log(desk, "Open one")
        closed = log(desk, "Closed one", assignee=desk.colleague)
        transition(closed, desk.colleague, S.RESOLVED)
        transition(closed, desk.colleague, S.CLOSED)

        response = self.post(agent_client, "take", [open_one, closed])

        assert reload(open_one).assignee == desk.agent
        assert reload(closed).assignee == desk.colleague
        assert (
            "error",
            f"{closed.number}: {closed.number} is closed and can no longer be changed.",
        ) in messages_of(response)

    def test_assign_without_a_group_changes_nothing(self, agent_client, desk):
        record = log(desk, "Untouched")
        version = record.version

        response = self.post(agent_client, "assign", [record])

        assert messages_of(response) == [("error", "Support group: Choose the group to assign to.")]
        reload(record)
        assert (record.support_group, record.assignee, record.version) == (
            desk.group,
            None,
            version,
        )

    def test_status_without_a_target_changes_nothing(self, agent_client, desk):
        record = log(desk, "Untouched")
        response = self.post(agent_client, "status", [record])
        assert messages_of(response) == [("error", "New status: Choose the new status.")]
        assert reload(record).status == S.NEW

    def test_nothing_selected_is_an_error(self, agent_client, desk):
        response = self.post(agent_client, "take", [])
        [(level, _text)] = messages_of(response)
        assert level == "error"

    def test_it_never_redirects_to_another_site(self, agent_client, desk):
        record = log(desk, "Take me")
        response = agent_client.post(
            self.URL,
            {"action": "take", "incidents": [record.pk], "next": "https://evil.example/phish"},
        )
        assert response.status_code == 302
        assert response.url == "/incidents/"
        assert reload(record).assignee == desk.agent

    def test_end_users_cannot_use_it(self, client, desk):
        record = log(desk, "Not yours")
        client.force_login(desk.requester)
        response = client.post(self.URL, {"action": "take", "incidents": [record.pk]})
        assert response.status_code == 403
        assert reload(record).assignee is None


# --- logging an incident or a call --------------------------------------------------------------


class TestCreate:
    URL = "/incidents/new/"

    def form(self, desk, **overrides):
        data = {
            "requester": desk.requester.email,
            "title": "Cannot reach the intranet",
            "description": "<p>Since 9:00, from every browser.</p>",
            "impact": "medium",
            "urgency": "high",
            "category": desk.network.pk,
            "subcategory": desk.vpn.pk,
            "support_group": desk.group.pk,
            "channel": "email",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def test_the_form_page(self, agent_client):
        response = agent_client.get(self.URL)
        assert response.status_code == 200
        assert "<h1>New incident</h1>" in html(response)
        assert "Resolved on the call" not in html(response)

    def test_an_agent_logs_an_incident(self, agent_client, desk):
        response = agent_client.post(self.URL, self.form(desk), follow=True)

        created = Incident.objects.get()
        assert response.redirect_chain == [(f"/incidents/{created.number}/", 302)]
        assert messages_of(response) == [
            ("success", f"{created.number} logged for Service Desk with priority P2.")
        ]
        assert (created.requester, created.support_group, created.priority) == (
            desk.requester,
            desk.group,
            2,
        )
        assert (created.category, created.subcategory) == (desk.network, desk.vpn)
        assert created.status == S.NEW
        assert audit_events(created, kind=AuditKind.CREATED).count() == 1

    def test_without_a_group_routing_chooses_one(self, agent_client, desk):
        from incidents.models import RoutingRule

        RoutingRule.objects.create(
            name="VPN", category=desk.network, support_group=desk.network_team
        )

        response = agent_client.post(self.URL, self.form(desk, support_group=""), follow=True)

        created = Incident.objects.get()
        assert created.support_group == desk.network_team
        assert "logged for Network Team with priority P2" in messages_of(response)[0][1]

    def test_without_a_group_and_no_rule_the_form_says_so(self, agent_client, desk):
        response = agent_client.post(self.URL, self.form(desk, support_group=""))
        assert response.status_code == 200
        assert response.context["form"].errors["support_group"] == [
            "No routing rule matches; choose a support group."
        ]
        assert not Incident.objects.exists()

    def test_missing_title_and_unknown_requester_are_shown_beside_the_fields(
        self, agent_client, desk
    ):
        response = agent_client.post(
            self.URL, self.form(desk, title="", requester="nobody@example.com")
        )

        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["title"] == ["This field is required."]
        assert errors["requester"] == ["Nobody with this e-mail address is registered."]
        page = html(response)
        assert "Nothing has been saved yet." in page
        requester_field = page.split('for="id_requester"')[1].split('for="id_title"')[0]
        assert "Nobody with this e-mail address is registered." in requester_field
        title_field = page.split('for="id_title"')[1].split('for="id_description"')[0]
        assert "This field is required." in title_field
        assert 'value="nobody@example.com"' in page  # what was typed is kept
        assert not Incident.objects.exists()

    def test_a_subcategory_of_another_category_is_an_error_beside_it(self, agent_client, desk):
        response = agent_client.post(self.URL, self.form(desk, subcategory=desk.toner.pk))

        assert response.status_code == 200
        assert response.context["form"].errors["subcategory"] == [
            "“Toner” is not a subcategory of “Network”."
        ]
        page = html(response)
        subcategory_field = page.split('for="id_subcategory"')[1].split('for="id_service"')[0]
        assert "is not a subcategory of" in subcategory_field
        assert not Incident.objects.exists()

    def test_a_logged_call_resolved_on_the_line(self, agent_client, desk):
        page = html(agent_client.get(self.URL, {"channel": "phone"}))
        assert "Resolved on the call" in page
        assert '<input type="hidden" name="channel" value="phone">' in page

        response = agent_client.post(
            self.URL + "?channel=phone",
            self.form(
                desk,
                channel="phone",
                support_group="",
                resolve_now="on",
                resolution_code=ResolutionCode.USER_ERROR,
                resolution_notes="Walked her through the VPN settings.",
            ),
            follow=True,
        )

        created = Incident.objects.get()
        assert messages_of(response) == [
            ("success", f"{created.number} logged and resolved at first contact.")
        ]
        assert created.status == S.RESOLVED
        assert created.first_contact_resolution is True
        assert created.channel == "phone"
        assert (created.assignee, created.support_group) == (desk.agent, desk.group)
        assert created.resolution_code == ResolutionCode.USER_ERROR

    def test_a_call_resolved_without_notes_is_refused(self, agent_client, desk):
        response = agent_client.post(
            self.URL + "?channel=phone",
            self.form(desk, channel="phone", resolve_now="on", resolution_code=""),
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["resolution_code"] == ["Choose a resolution code."]
        assert errors["resolution_notes"] == ["Write what was done on the call."]
        assert not Incident.objects.exists()

    def test_a_logged_call_left_open(self, agent_client, desk):
        agent_client.post(self.URL, self.form(desk, channel="phone"))
        created = Incident.objects.get()
        assert (created.channel, created.status) == ("phone", S.NEW)

    def test_a_script_in_the_description_is_not_stored(self, agent_client, desk):
        agent_client.post(
            self.URL,
            self.form(
                desk,
                description='<p onclick="steal()">Hello</p><script>alert("x")</script>',
            ),
        )
        created = Incident.objects.get()
        assert "<script" not in created.description
        assert "onclick" not in created.description
        assert "Hello" in created.description
        page = html(agent_client.get(f"/incidents/{created.number}/"))
        assert "<script>alert" not in page

    def test_end_users_cannot_open_it(self, client, desk):
        client.force_login(desk.requester)
        assert client.get(self.URL).status_code == 403
        assert client.post(self.URL, self.form(desk)).status_code == 403
        assert not Incident.objects.exists()


# --- the record page ----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(name="notes.txt", content=b"the VPN log says: timeout\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


class TestDetail:
    def test_shows_the_facts(self, agent_client, desk):
        record = log(desk, "Intranet unreachable", category=desk.network, subcategory=desk.vpn,
                     support_group=desk.group, **P2)  # fmt: skip

        response = agent_client.get(f"/incidents/{record.number}/")

        assert response.status_code == 200
        page = html(response)
        assert "<h1>Intranet unreachable</h1>" in page
        assert "P2 High" in page
        assert "Emma Wilson" in page and "emma@example.com" in page
        assert "Network › VPN" in page
        assert f"Logged {record.number}" in page  # the timeline's first event
        assert "Assign to me" in page

    def test_agents_see_internal_notes_in_the_timeline(self, agent_client, desk):
        record = log(desk, "Intranet unreachable")
        services.incident_comment(
            incident_id=record.pk, actor=desk.colleague, body="Looks like the proxy again.",
            visibility=Visibility.INTERNAL,
        )  # fmt: skip
        services.incident_comment(
            incident_id=record.pk, actor=desk.colleague, body="We are looking into it."
        )

        page = html(agent_client.get(f"/incidents/{record.number}/"))

        assert "Looks like the proxy again." in page
        assert "Internal note" in page
        assert "We are looking into it." in page
        assert "timeline-internal" in page

    def test_a_long_timeline_takes_a_bounded_number_of_queries(
        self, agent_client, desk, media, private_cache, django_assert_max_num_queries
    ):
        record = log(desk, "Busy incident", assignee=desk.agent, category=desk.network)
        child = log(desk, "Same thing, other floor")
        services.incident_update(incident_id=child.pk, actor=desk.agent, changes={"parent": record})
        transition(record, desk.agent, S.IN_PROGRESS)
        for i in range(8):
            services.incident_comment(
                incident_id=record.pk,
                actor=desk.agent if i % 2 else desk.colleague,
                body=f"<p>Update number {i}</p>",
                visibility=Visibility.INTERNAL if i % 3 == 0 else Visibility.PUBLIC,
                files=[upload(f"trace-{i}.txt")] if i % 4 == 0 else (),
            )
        services.incident_comment(incident_id=record.pk, actor=desk.requester, body="Any news?")
        for i in range(3):
            with transaction.atomic():
                attachment_add(record=record, uploaded_by=desk.agent, file=upload(f"shot-{i}.txt"))
        services.incident_update(
            incident_id=record.pk, actor=desk.agent, changes={"urgency": "high", "title": "Busy!"}
        )
        transition(record, desk.agent, S.PENDING)
        transition(record, desk.agent, S.IN_PROGRESS)

        # The target is 15, the problem panel included; the first request of a process also
        # fills the permission cache and the content types, so it is the second that counts.
        agent_client.get(f"/incidents/{record.number}/")
        with django_assert_max_num_queries(15):
            response = agent_client.get(f"/incidents/{record.number}/")

        timeline = response.context["timeline"]
        assert len(timeline) >= 20
        assert {entry.kind for entry in timeline} == {"event", "comment", "attachment"}
        page = html(response)
        assert "trace-0.txt" in page and "shot-2.txt" in page
        assert child.number in page

    def test_an_unknown_number_is_404(self, agent_client, desk):
        assert agent_client.get("/incidents/INC9999999/").status_code == 404

    def test_an_end_user_is_refused_even_for_their_own_incident(self, client, desk):
        record = log(desk, "Mine")
        client.force_login(desk.requester)
        assert client.get(f"/incidents/{record.number}/").status_code == 403

    def test_a_resolved_incident_with_an_assignee_has_one_reopen_button_back_to_work(
        self, agent_client, desk
    ):
        record = log(desk, "Printer jams", assignee=desk.agent)
        transition(record, desk.agent, S.RESOLVED)

        page = html(agent_client.get(f"/incidents/{record.number}/"))

        assert len(re.findall(r">\s*Reopen\s*</button>", page)) == 1
        assert status_buttons(page) == ["in_progress", "closed"]
        response = agent_client.post(
            f"/incidents/{record.number}/status/",
            {"target": "in_progress", "version": reload(record).version},
        )
        assert response.status_code == 302
        assert reload(record).status == S.IN_PROGRESS
        assert reload(record).reopen_count == 1

    def test_a_resolved_incident_nobody_holds_reopens_to_the_queue(self, agent_client, desk):
        record = log(desk, "Printer jams")
        transition(record, desk.agent, S.RESOLVED)

        page = html(agent_client.get(f"/incidents/{record.number}/"))

        assert len(re.findall(r">\s*Reopen\s*</button>", page)) == 1
        assert status_buttons(page) == ["new", "closed"]

    def test_the_timeline_shows_a_yes_no_change_as_words_in_the_readers_language(
        self, agent_client, desk
    ):
        record = log(desk, "Everything is down")
        services.incident_update(
            incident_id=record.pk, actor=desk.agent, changes={"major_incident": True}
        )

        page = html(agent_client.get(f"/incidents/{record.number}/"))
        assert "major incident</em>: No → Yes" in page
        assert "False" not in page and "True" not in page

        agent_client.post("/accounts/language/", {"language": "fa", "next": "/"})
        page = html(agent_client.get(f"/incidents/{record.number}/"))
        assert "خیر → بله" in page
        assert "False" not in page

    def test_the_timeline_shows_choices_in_the_readers_language(self, agent_client, desk):
        record = log(desk, "Slow", **P3)
        services.incident_update(
            incident_id=record.pk, actor=desk.agent, changes={"urgency": "high"}
        )

        agent_client.post("/accounts/language/", {"language": "zh-hans", "next": "/"})
        page = html(agent_client.get(f"/incidents/{record.number}/"))

        assert "中 → 高" in page
        assert "Medium → High" not in page


# --- inline edit --------------------------------------------------------------------------------


def edit_form(record, **changes):
    """The facts form as the page posts it, with `changes` applied."""
    data = {
        "version": record.version,
        "title": record.title,
        "impact": record.impact,
        "urgency": record.urgency,
        "category": record.category_id or "",
        "subcategory": record.subcategory_id or "",
        "service": record.service_id or "",
        "configuration_item": record.configuration_item_id or "",
        "parent": record.parent.number if record.parent_id else "",
    }
    if record.major_incident:
        data["major_incident"] = "on"
    data.update(changes)
    return data


class TestEdit:
    def url(self, record):
        return f"/incidents/{record.number}/edit/"

    def test_htmx_get_returns_the_form_partial(self, agent_client, desk):
        record = log(desk, "Editable")

        response = agent_client.get(self.url(record), headers=HTMX)

        body = html(response)
        assert response.status_code == 200
        assert "<html" not in body
        assert f'hx-post="/incidents/{record.number}/edit/"' in body
        assert f'name="version" value="{record.version}"' in body
        assert 'value="Editable"' in body

    def test_a_plain_get_returns_a_page(self, agent_client, desk):
        record = log(desk, "Editable")
        body = html(agent_client.get(self.url(record)))
        assert "<html" in body and "Edit details" in body

    def test_a_new_urgency_changes_the_priority_and_is_audited(self, agent_client, desk):
        record = log(desk, "Editable", **P3)

        response = agent_client.post(
            self.url(record), edit_form(record, urgency="high"), headers=HTMX
        )

        assert response.status_code == 204
        assert response["HX-Redirect"] == f"/incidents/{record.number}/"
        reload(record)
        assert (record.urgency, record.priority) == ("high", 2)
        changed = {
            e.field: (e.old_text, e.new_text)
            for e in audit_events(record, kind=AuditKind.FIELD_CHANGED)
        }
        assert changed["urgency"] == ("Medium", "High")
        assert changed["priority"] == ("3", "2")
        assert set(changed) == {"urgency", "priority"}
        follow = agent_client.get(f"/incidents/{record.number}/")
        assert ("success", f"{record.number} updated.") in messages_of(follow)

    def test_without_htmx_it_redirects(self, agent_client, desk):
        record = log(desk, "Editable")
        response = agent_client.post(self.url(record), edit_form(record, title="Renamed"))
        assert response.status_code == 302
        assert response.url == f"/incidents/{record.number}/"
        assert reload(record).title == "Renamed"

    def test_posting_it_unchanged_changes_nothing(self, agent_client, desk):
        record = log(desk, "Editable")
        version = record.version
        response = agent_client.post(self.url(record), edit_form(record), follow=True)
        assert ("info", "Nothing was changed.") in messages_of(response)
        assert reload(record).version == version

    def test_a_stale_version_is_refused_in_the_form(self, agent_client, desk):
        record = log(desk, "Editable", **P3)
        stale = edit_form(record, urgency="high")
        services.incident_update(
            incident_id=record.pk, actor=desk.colleague, changes={"title": "Theirs"}
        )

        response = agent_client.post(self.url(record), stale, headers=HTMX)

        assert response.status_code == 200
        body = html(response)
        assert "<html" not in body
        assert "Somebody else changed this record while you were editing it." in body
        reload(record)
        assert (record.title, record.urgency, record.priority) == ("Theirs", "medium", 3)
        assert not audit_events(record, field="urgency").exists()

    def test_an_unknown_parent_number_is_a_field_error(self, agent_client, desk):
        record = log(desk, "Editable")

        response = agent_client.post(self.url(record), edit_form(record, parent="INC9999999"))

        assert response.status_code == 200
        assert response.context["form"].errors["parent"] == [
            "There is no incident with this number."
        ]
        assert reload(record).parent is None

    def test_a_parent_that_is_itself_a_child_is_a_field_error(self, agent_client, desk):
        grandparent = log(desk, "Grandparent")
        parent = log(desk, "Parent")
        services.incident_update(
            incident_id=parent.pk, actor=desk.agent, changes={"parent": grandparent}
        )
        record = log(desk, "Editable")

        response = agent_client.post(self.url(record), edit_form(record, parent=parent.number))

        assert response.context["form"].errors["parent"] == [
            f"{parent.number} is itself a child incident."
        ]
        assert reload(record).parent is None

    def test_a_valid_parent_links_it(self, agent_client, desk):
        parent = log(desk, "Parent")
        record = log(desk, "Editable")
        agent_client.post(self.url(record), edit_form(record, parent=parent.number))
        assert reload(record).parent == parent


# --- the assignee menu follows the group --------------------------------------------------------

OPTIONS = "/accounts/assignee-options/"
OPTION = re.compile(r'<option value="(\d*)"( selected)?>([^<]*)</option>')


def options(html_text: str, name: str = "assignee") -> list[str]:
    """The labels of a <select name=...>'s options (all of them when `html_text` is only options)."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html_text, re.S)
    return [label for _v, _s, label in OPTION.findall(match[1] if match else html_text)]


class TestAssigneeMenu:
    def test_the_options_of_a_group_are_its_people(self, agent_client, desk):
        desk.network_team.lead = desk.colleague
        desk.network_team.save()

        response = agent_client.get(OPTIONS, {"support_group": desk.network_team.pk})

        assert response.status_code == 200
        assert options(html(response)) == ["---------", "Lena Lead", "Nima Network"]

    def test_without_a_group_everyone_in_a_group_is_offered(self, agent_client, desk):
        page = html(agent_client.get(OPTIONS, {"support_group": ""}))
        assert options(page) == ["---------", "Arash Agent", "Lena Lead", "Nima Network"]

    def test_the_chosen_person_stays_selected_and_filters_say_any(self, agent_client, desk):
        page = html(
            agent_client.get(
                OPTIONS,
                {"support_group": desk.group.pk, "assignee": desk.colleague.pk, "blank": "any"},
            )
        )
        assert options(page) == ["Any", "Arash Agent", "Lena Lead"]
        assert f'<option value="{desk.colleague.pk}" selected>Lena Lead</option>' in page

    @pytest.mark.parametrize("group", ["999999", "abc", "1e308", "9" * 40, "-1"])
    def test_a_group_that_is_not_one_is_no_500(self, agent_client, desk, group):
        response = agent_client.get(OPTIONS, {"support_group": group})
        assert response.status_code == 200
        assert options(html(response))[0] == "---------"
        if group == "999999":
            assert options(html(response)) == ["---------"]  # nobody is in an unknown group

    def test_only_the_workspace_may_ask(self, client, desk):
        assert client.get(OPTIONS).status_code == 302  # to sign in
        client.force_login(desk.requester)
        assert client.get(OPTIONS, {"support_group": desk.group.pk}).status_code == 403

    def test_the_record_page_offers_the_people_of_the_incidents_group(self, agent_client, desk):
        record = log(desk, "Printer jams", assignee=desk.agent)

        page = html(agent_client.get(f"/incidents/{record.number}/"))

        assert options(page) == ["---------", "Arash Agent", "Lena Lead"]  # not Nima Network
        group_select = re.search(r'<select name="support_group"[^>]*>', page)[0]
        assert f'hx-get="{OPTIONS}"' in group_select
        assert 'hx-target="next select[name=assignee]"' in group_select

    def test_a_refused_assignment_offers_the_people_of_the_group_posted(self, agent_client, desk):
        record = log(desk, "Printer jams")

        response = agent_client.post(
            f"/incidents/{record.number}/assign/",
            {"support_group": desk.group.pk, "assignee": desk.engineer.pk,
             "version": record.version},
        )  # fmt: skip

        assert response.status_code == 400
        assert "Nima Network is not a member of Service Desk." in html(response)
        assert options(html(response)) == ["---------", "Arash Agent", "Lena Lead"]
        assert reload(record).assignee is None

    def test_the_queue_filter_offers_the_people_of_the_chosen_group(self, agent_client, desk):
        everyone = html(agent_client.get(QUEUE))
        assert options(everyone) == ["Any", "Arash Agent", "Lena Lead", "Nima Network"]

        page = html(agent_client.get(QUEUE, {"support_group": desk.network_team.pk}))

        assert options(page) == ["Any", "Nima Network"]


# --- take, assign, status, comment ---------------------------------------------------------------


class TestActions:
    def test_take_makes_the_agent_the_assignee(self, agent_client, desk):
        record = log(desk, "Free")

        response = agent_client.post(
            f"/incidents/{record.number}/take/", {"version": record.version}, follow=True
        )

        reload(record)
        assert (record.assignee, record.status) == (desk.agent, S.ASSIGNED)
        assert ("success", f"{record.number} is now yours.") in messages_of(response)

    def test_take_with_a_stale_version_changes_nothing(self, agent_client, desk):
        record = log(desk, "Free")
        services.incident_update(
            incident_id=record.pk, actor=desk.colleague, changes={"title": "New"}
        )

        response = agent_client.post(
            f"/incidents/{record.number}/take/", {"version": 1}, follow=True
        )

        assert reload(record).assignee is None
        [(level, text)] = messages_of(response)
        assert level == "error" and text.startswith("Somebody else changed this record")

    def test_take_needs_a_post(self, agent_client, desk):
        record = log(desk, "Free")
        assert agent_client.get(f"/incidents/{record.number}/take/").status_code == 405

    def test_assign_to_a_member_of_the_group(self, agent_client, desk):
        record = log(desk, "Free")

        response = agent_client.post(
            f"/incidents/{record.number}/assign/",
            {
                "version": record.version,
                "support_group": desk.group.pk,
                "assignee": desk.colleague.pk,
            },
            follow=True,
        )

        assert reload(record).assignee == desk.colleague
        assert ("success", f"{record.number} assigned to Lena Lead.") in messages_of(response)

    def test_assign_to_someone_outside_the_group_is_refused(self, agent_client, desk):
        record = log(desk, "Free")
        version = record.version

        response = agent_client.post(
            f"/incidents/{record.number}/assign/",
            {
                "version": record.version,
                "support_group": desk.group.pk,
                "assignee": desk.engineer.pk,
            },
        )

        assert response.status_code == 400
        assert response.context["assign_form"].errors["assignee"] == [
            "Nima Network is not a member of Service Desk."
        ]
        assert "Nima Network is not a member of Service Desk." in html(response)
        reload(record)
        assert (record.assignee, record.support_group, record.version) == (
            None,
            desk.group,
            version,
        )

    def test_assign_without_a_group_is_a_400(self, agent_client, desk):
        record = log(desk, "Free")
        response = agent_client.post(f"/incidents/{record.number}/assign/", {"support_group": ""})
        assert response.status_code == 400
        assert "support_group" in response.context["assign_form"].errors
        assert reload(record).support_group == desk.group

    def test_resolve_without_notes_is_refused_in_the_dialog(self, agent_client, desk):
        record = log(desk, "Working on it", assignee=desk.agent)
        transition(record, desk.agent, S.IN_PROGRESS)
        reload(record)

        response = agent_client.post(
            f"/incidents/{record.number}/status/",
            {
                "version": record.version,
                "target": "resolved",
                "resolution_code": ResolutionCode.SOLVED_WORKAROUND,
                "resolution_notes": "",
            },
        )

        assert response.status_code == 409
        page = html(response)
        dialog = page.split('<dialog id="dialog-resolved"')[1].split("</dialog>")[0]
        assert dialog.startswith(' class="dialog" open data-open>')
        assert "Write resolution notes: what was done to restore the service." in dialog
        assert 'value="solved_workaround" selected' in dialog  # what was chosen is kept
        reload(record)
        assert record.status == S.IN_PROGRESS
        assert record.resolution_code == ""

    def test_resolve_with_a_code_and_notes(self, agent_client, desk):
        record = log(desk, "Working on it", assignee=desk.agent)
        transition(record, desk.agent, S.IN_PROGRESS)
        reload(record)

        response = agent_client.post(
            f"/incidents/{record.number}/status/",
            {
                "version": record.version,
                "target": "resolved",
                "resolution_code": ResolutionCode.SOLVED_PERMANENTLY,
                "resolution_notes": "Replaced the switch port.",
            },
            follow=True,
        )

        reload(record)
        assert record.status == S.RESOLVED
        assert record.resolution_code == ResolutionCode.SOLVED_PERMANENTLY
        assert record.resolved_at is not None
        assert ("success", f"{record.number} is now resolved.") in messages_of(response)
        assert "Replaced the switch port." in html(response)

    def test_pending_needs_a_reason(self, agent_client, desk):
        record = log(desk, "Working on it", assignee=desk.agent)

        response = agent_client.post(
            f"/incidents/{record.number}/status/",
            {"version": record.version, "target": "pending", "pending_reason": ""},
        )

        assert response.status_code == 409
        dialog = html(response).split('<dialog id="dialog-pending"')[1].split("</dialog>")[0]
        assert " open data-open" in dialog
        assert "Say what the incident is waiting for." in dialog
        assert reload(record).status == S.ASSIGNED

    def test_pending_with_a_reason(self, agent_client, desk):
        record = log(desk, "Working on it", assignee=desk.agent)

        agent_client.post(
            f"/incidents/{record.number}/status/",
            {"version": record.version, "target": "pending", "pending_reason": "supplier"},
        )

        reload(record)
        assert (record.status, record.pending_reason) == (S.PENDING, "supplier")

    def test_a_move_the_workflow_forbids(self, agent_client, desk):
        record = log(desk, "New")
        response = agent_client.post(
            f"/incidents/{record.number}/status/", {"target": "closed"}, follow=False
        )
        assert response.status_code == 409
        assert "A record cannot go from “New” to “Closed”." in html(response)
        assert reload(record).status == S.NEW

    def test_an_unknown_status_is_an_error_message(self, agent_client, desk):
        record = log(desk, "New")
        response = agent_client.post(
            f"/incidents/{record.number}/status/", {"target": "vanished"}, follow=True
        )
        assert ("error", "Choose a valid status.") in messages_of(response)
        assert reload(record).status == S.NEW

    def test_an_internal_note_and_a_public_reply(self, agent_client, client, desk):
        record = log(desk, "Question")
        url = f"/incidents/{record.number}/comment/"

        note = agent_client.post(
            url, {"body": "Checked the proxy logs: nothing.", "visibility": "internal"}, follow=True
        )
        reply = agent_client.post(
            url, {"body": "Could you restart your laptop?", "visibility": "public"}, follow=True
        )

        assert ("success", "Work note added.") in messages_of(note)
        assert ("success", "Reply sent to the requester.") in messages_of(reply)
        stored = {c.body: c.visibility for c in Comment.objects.all()}
        assert stored == {
            "Checked the proxy logs: nothing.": Visibility.INTERNAL,
            "Could you restart your laptop?": Visibility.PUBLIC,
        }
        assert reload(record).first_responded_at is not None

        client.force_login(desk.requester)
        portal_page = html(client.get(f"/portal/incidents/{record.number}/"))
        assert "Could you restart your laptop?" in portal_page
        assert "Checked the proxy logs" not in portal_page

    def test_an_empty_comment_is_a_400_with_the_error(self, agent_client, desk):
        record = log(desk, "Question")
        response = agent_client.post(
            f"/incidents/{record.number}/comment/", {"body": "", "visibility": "public"}
        )
        assert response.status_code == 400
        assert response.context["comment_form"].errors["body"] == ["This field is required."]
        assert not Comment.objects.exists()

    def test_a_comment_of_only_markup_is_refused_beside_the_field(self, agent_client, desk):
        record = log(desk, "Question")
        response = agent_client.post(
            f"/incidents/{record.number}/comment/",
            {"body": "<script>x()</script>", "visibility": "public"},
        )
        assert response.status_code == 400
        assert response.context["comment_form"].errors["body"] == [
            "Write something before you send it."
        ]
        assert not Comment.objects.exists()

    def test_actions_on_an_unknown_number_are_404(self, agent_client, desk):
        for action in ("take", "assign", "status", "comment"):
            assert agent_client.post(f"/incidents/INC9999999/{action}/", {}).status_code == 404

    def test_end_users_cannot_act(self, client, desk):
        record = log(desk, "Mine")
        client.force_login(desk.requester)
        for action in ("take", "assign", "status", "comment", "edit"):
            assert client.post(f"/incidents/{record.number}/{action}/", {}).status_code == 403
        reload(record)
        assert (record.assignee, record.status) == (None, S.NEW)


# --- the workspace's queue cards ----------------------------------------------------------------


def card_count(page: str, key: str) -> str:
    card = page.split(f'data-test="queue-{key}"')[1].split("</a>")[0]
    return re.search(r'<span class="queue-count">([^<]*)</span>', card).group(1)


class TestWorkspace:
    def test_queue_cards_count_up_to_the_cap(self, agent_client, desk):
        bulk_open_incidents(desk, 101)  # unassigned, in the agent's group
        bulk_open_incidents(desk, 2, start=200, assignee=desk.agent, status=S.ASSIGNED)
        bulk_open_incidents(
            desk, 1, start=300, major_incident=True, support_group=desk.network_team
        )
        bulk_open_incidents(desk, 5, start=400, status=S.CLOSED, assignee=desk.agent)

        response = agent_client.get("/workspace/")

        page = html(response)
        assert card_count(page, "mine") == "2"
        assert card_count(page, "unassigned") == "100+"
        assert card_count(page, "major") == "1"
        assert card_count(page, "open") == "100+"
        assert 'href="/incidents/?queue=unassigned"' in page

    def test_small_queues_show_their_exact_size(self, agent_client, desk):
        log(desk, "Mine", assignee=desk.agent)
        log(desk, "Free one")
        log(desk, "Free two", support_group=desk.network_team)

        page = html(agent_client.get("/workspace/"))

        assert card_count(page, "mine") == "1"
        assert card_count(page, "unassigned") == "1"
        assert card_count(page, "major") == "0"
        assert card_count(page, "open") == "3"

    def test_the_counts_are_capped_queries(self, agent_client, desk, monkeypatch):
        from incidents import selectors

        monkeypatch.setattr(selectors, "QUEUE_SIZE_CAP", 3)
        bulk_open_incidents(desk, 4)

        response = agent_client.get("/workspace/")

        sizes = {q["key"]: q["shown"] for q in response.context["queues"]}
        assert (sizes["open"], sizes["major"]) == ("3+", "0")
        assert card_count(html(response), "open") == "3+"

    def test_end_users_are_refused(self, client, desk):
        client.force_login(desk.requester)
        assert client.get("/workspace/").status_code == 403
