"""Exports of problems and changes, and every queue's tab carried into its export: the queue
pages link "Export CSV / XLSX" with their tab and filters, and the file holds the records the
reader may see under them (scoped visibility too) and nothing else."""

import io

import pytest
from django.db import transaction
from openpyxl import load_workbook

from accounts.roles import Role
from catalogue import services as catalogue_services
from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from tests.changes.factories import raise_change
from tests.factories import OrganisationFactory, UserFactory
from tests.incidents.factories import SupportGroupFactory, incident
from tests.problems.factories import known_error, problem

pytestmark = pytest.mark.django_db


def exported(client, url) -> list[list[str]]:
    """The CSV's rows, header first."""
    import csv

    answer = client.get(url)
    assert answer.status_code == 200, answer
    return list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))


def numbers(client, url) -> set[str]:
    return {row[0] for row in exported(client, url)[1:]}


def xlsx_numbers(client, url) -> set[str]:
    book = load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content)))
    return {row[0] for row in list(book.active.iter_rows(values_only=True))[1:]}


def tabs_exported(client, queue_url: str, key: str, expected: dict[str, set[str]]) -> None:
    """Each tab's page links its export with the tab, and that export holds the tab's records."""
    for tab, records in expected.items():
        page = client.get(f"{queue_url}?queue={tab}").content.decode()
        assert f"/imports/export/{key}/?queue={tab}" in page
        assert numbers(client, f"/imports/export/{key}/?queue={tab}") == records, tab


@pytest.fixture
def scoped_world(settings):
    """Scoped visibility: an agent whose group serves Acme sees Acme's records and the desk's
    own (no organisation), not Globex's."""
    settings.SCOPED_VISIBILITY = True
    acme = OrganisationFactory(name="Acme", code="acme")
    globex = OrganisationFactory(name="Globex", code="globex")
    agent = UserFactory(role=Role.AGENT, organisation=None)
    SupportGroupFactory(name="Acme desk", members=[agent]).organisations.add(acme)
    return agent, acme, globex


def test_problems_export_what_the_reader_may_see_under_the_filters(client, scoped_world):
    agent, acme, globex = scoped_world
    author = UserFactory(role=Role.AGENT)
    ours = problem(actor=author, title="=cmd|' /C calc'!A0", impact="high", urgency="high")
    low = problem(actor=author, title="Slow printing", impact="low", urgency="low")
    theirs = problem(actor=author, title="Globex mail bounces", impact="high", urgency="high")
    Problem.objects.filter(pk=ours.pk).update(organisation=acme)
    Problem.objects.filter(pk=theirs.pk).update(organisation=globex)
    client.force_login(agent)
    rows = exported(client, "/imports/export/problem/")
    assert rows[0][:6] == ["Number", "Title", "Status", "Impact", "Urgency", "Priority"]
    assert {row[0] for row in rows[1:]} == {ours.number, low.number}
    assert "'=cmd" in next(row[1] for row in rows if row[0] == ours.number)
    assert numbers(client, "/imports/export/problem/?priority=1") == {ours.number}
    assert xlsx_numbers(client, "/imports/export/problem/?as=xlsx&priority=1") == {ours.number}


def test_changes_export_what_the_reader_may_see_under_the_filters(client, scoped_world):
    agent, acme, globex = scoped_world
    author = UserFactory(role=Role.CHANGE_MANAGER)
    ours = raise_change(author, title="Patch the Acme database")
    normal = raise_change(author, title="Move the desk's file server")
    theirs = raise_change(author, title="Globex firewall rules")
    Change.objects.filter(pk=ours.pk).update(organisation=acme, risk_level="high")
    Change.objects.filter(pk=theirs.pk).update(organisation=globex)
    client.force_login(agent)
    rows = exported(client, "/imports/export/change/?queue=all")
    assert rows[0][:4] == ["Number", "Title", "Status", "Type"]
    assert {row[0] for row in rows[1:]} == {ours.number, normal.number}
    assert numbers(client, "/imports/export/change/?queue=all&risk_level=high") == {ours.number}
    assert xlsx_numbers(client, "/imports/export/change/?queue=all&as=xlsx") == {
        ours.number, normal.number,
    }  # fmt: skip


def test_people_who_may_not_see_problems_or_changes_export_none(client):
    problem()
    raise_change(UserFactory(role=Role.CHANGE_MANAGER))
    client.force_login(UserFactory(role=Role.END_USER))
    assert client.get("/imports/export/problem/").status_code == 403
    assert client.get("/imports/export/change/").status_code == 403


def test_an_incident_export_holds_the_tab_it_came_from(client):
    agent = UserFactory(role=Role.AGENT)
    group = SupportGroupFactory(members=[agent])
    mine = incident(actor=agent, support_group=group, assignee=agent, title="Mine")
    unassigned = incident(actor=agent, support_group=group, title="Nobody's")
    done = incident(actor=agent, support_group=group, assignee=agent, title="Done")
    Incident.objects.filter(pk=done.pk).update(status="closed")
    client.force_login(agent)
    page = client.get("/incidents/?queue=mine").content.decode()
    assert "/imports/export/incident/?queue=mine" in page
    assert "/imports/export/incident/?queue=mine&amp;as=xlsx" in page
    assert numbers(client, "/imports/export/incident/?queue=mine") == {mine.number}
    assert numbers(client, "/imports/export/incident/?queue=unassigned") == {unassigned.number}
    assert numbers(client, "/imports/export/incident/?queue=open") == {
        mine.number, unassigned.number,
    }  # fmt: skip
    assert xlsx_numbers(client, "/imports/export/incident/?queue=mine&as=xlsx") == {mine.number}
    # The queue's default tab is named in its link: the export holds what the page shows.
    assert "/imports/export/incident/?queue=open" in client.get("/incidents/").content.decode()
    # The filter bar's "Any" (an empty value) is no filter, as on the page.
    assert numbers(client, "/imports/export/incident/?queue=open&priority=&assignee=") == {
        mine.number, unassigned.number,
    }  # fmt: skip
    # Without a tab (a script's URL): every record the reader may see.
    assert numbers(client, "/imports/export/incident/") == {
        mine.number, unassigned.number, done.number,
    }  # fmt: skip


def test_a_problem_export_holds_the_tab_it_came_from(client):
    agent = UserFactory(role=Role.AGENT)
    plain = problem(actor=agent, title="Still analysed")
    known = known_error(title="Certificate chain")
    client.force_login(agent)
    tabs_exported(client, "/problems/", "problem", {"known_errors": {known.number},
                                                    "open": {plain.number, known.number}})  # fmt: skip


def test_a_change_export_holds_the_tab_it_came_from(client):
    manager = UserFactory(role=Role.CHANGE_MANAGER)
    group = SupportGroupFactory(members=[manager])
    owned = raise_change(manager, title="Mine", support_group=group, assignee=manager)
    other = raise_change(manager, title="Someone else's")
    client.force_login(manager)
    tabs_exported(client, "/changes/", "change", {"mine": {owned.number},
                                                  "open": {owned.number, other.number}})  # fmt: skip


def test_a_task_export_holds_the_tab_it_came_from(client):
    agent = UserFactory(role=Role.AGENT)
    group = SupportGroupFactory(members=[agent])
    parent = incident(actor=agent, support_group=group)
    with transaction.atomic():
        held = catalogue_services.task_add(
            parent=parent, actor=agent, title="Mine", support_group=group, assignee=agent
        )
        waiting = catalogue_services.task_add(
            parent=parent, actor=agent, title="The group's", support_group=group
        )
    client.force_login(agent)
    tabs_exported(client, "/catalogue/tasks/", "task", {"mine": {held.number},
                                                        "groups": {held.number, waiting.number}})  # fmt: skip


def test_the_request_list_links_its_export_with_its_filters(client):
    client.force_login(UserFactory(role=Role.AGENT))
    page = client.get("/catalogue/requests/?status=submitted").content.decode()
    assert "/imports/export/request/?status=submitted" in page
    assert "/imports/export/request/?status=submitted&amp;as=xlsx" in page
