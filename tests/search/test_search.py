"""The search across everything: what each person finds (records of every type, their replies
and work notes, CIs, articles, known errors), what they never find, the number short-cut, the
filters, ranking and highlighting; on PostgreSQL (full text) and SQLite (LIKE) alike."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from incidents.choices import IncidentStatus
from incidents.models import Incident
from knowledge.choices import ArticleStatus
from search import selectors
from search.selectors import Filters, search
from servicedesk.models import Visibility
from servicedesk.services import comment_add, comment_redact, record_create
from tests.cmdb.factories import make_ci
from tests.incidents.factories import incident, incident_in
from tests.kernel.models import Ticket
from tests.problems.factories import known_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester(make_user):
    return make_user(Role.END_USER, full_name="Reza Requester")


@pytest.fixture
def stranger(make_user):
    return make_user(Role.END_USER, full_name="Sara Stranger")


@pytest.fixture
def printer(agent, requester):
    return incident(
        actor=agent,
        requester=requester,
        title="Printer on the third floor jams",
        description="<p>The toner cartridge leaks onto the paper tray.</p>",
    )


def numbers(results) -> list[str]:
    return [hit.number for hit in results.hits if hit.number]


def test_an_agent_finds_an_incident_by_a_word_of_its_title_or_description(agent, printer):
    assert numbers(search(user=agent, text="printer")) == [printer.number]
    found = search(user=agent, text="cartridge")
    assert numbers(found) == [printer.number]
    assert "<mark>" in found.hits[0].snippet.lower()
    assert found.hits[0].url == reverse("incidents:detail", args=[printer.number])


def test_every_word_must_match_and_a_quoted_phrase_keeps_its_order(agent, printer):
    incident(actor=agent, title="Paper everywhere", description="<p>The tray is toner free.</p>")
    assert numbers(search(user=agent, text="toner leaks")) == [printer.number]
    assert numbers(search(user=agent, text='"paper tray"')) == [printer.number]
    assert numbers(search(user=agent, text='"tray paper"')) == []


def test_a_match_in_the_title_ranks_above_one_in_the_description(agent):
    lower = incident(actor=agent, title="Screen flickers", description="<p>Since the monitor "
                     "update the screen flickers.</p>")  # fmt: skip
    upper = incident(actor=agent, title="Monitor update broke the dock", description="<p>x</p>")
    found = numbers(search(user=agent, text="monitor"))
    assert found == [upper.number, lower.number]


def test_a_number_opens_that_record_alone_in_any_case(agent, printer):
    other = incident(actor=agent, title=f"Follow-up of {printer.number}")
    found = search(user=agent, text=printer.number.lower())
    assert found.exact and numbers(found) == [printer.number]
    assert other.number not in numbers(found)


def test_an_end_user_finds_their_own_records_never_someone_else_s(
    requester, stranger, printer, agent
):
    theirs = search(user=requester, text="printer")
    assert numbers(theirs) == [printer.number]
    assert theirs.hits[0].url == reverse("portal:incident", args=[printer.number])
    assert numbers(search(user=stranger, text="printer")) == []
    assert numbers(search(user=stranger, text=printer.number)) == []


def test_work_notes_are_found_by_agents_only_replies_by_the_requester_too(
    agent, requester, printer
):
    with transaction.atomic():
        comment_add(record=printer, author=agent, body="<p>Ordered a new fuser unit.</p>",
                    visibility=Visibility.INTERNAL)  # fmt: skip
        comment_add(record=printer, author=agent, body="<p>A technician comes on Tuesday.</p>")
    note = search(user=agent, text="fuser")
    assert numbers(note) == [printer.number]
    assert note.hits[0].where == selectors.WHERE_NOTE
    assert "<mark>fuser</mark>" in note.hits[0].snippet.lower()
    assert numbers(search(user=requester, text="fuser")) == []
    reply = search(user=requester, text="technician")
    assert numbers(reply) == [printer.number]
    assert reply.hits[0].where == selectors.WHERE_REPLY


def test_a_redacted_comment_is_not_found(agent, printer, make_user):
    with transaction.atomic():
        comment = comment_add(record=printer, author=agent, body="<p>password hunter2</p>")
    assert numbers(search(user=agent, text="hunter2")) == [printer.number]
    with transaction.atomic():
        comment_redact(comment_id=comment.pk, actor=make_user(Role.ADMINISTRATOR))
    assert numbers(search(user=agent, text="hunter2")) == []


def test_the_type_status_and_date_filters_narrow_the_records(agent, requester):
    open_one = incident_in(IncidentStatus.IN_PROGRESS, title="Laptop battery swollen")
    done = incident_in(IncidentStatus.RESOLVED, title="Laptop battery drains")
    assert set(numbers(search(user=agent, text="battery"))) == {open_one.number, done.number}
    assert numbers(search(user=agent, text="battery", filters=Filters(status="open"))) == [
        open_one.number
    ]
    assert numbers(search(user=agent, text="battery", filters=Filters(status="done"))) == [
        done.number
    ]
    assert numbers(
        search(user=agent, text="battery", filters=Filters(status=IncidentStatus.RESOLVED))
    ) == [done.number]
    old = timezone.now() - timedelta(days=40)
    Incident.objects.filter(pk=done.pk).update(created_at=old)
    since = (timezone.now() - timedelta(days=7)).date()
    assert numbers(search(user=agent, text="battery", filters=Filters(created_from=since))) == [
        open_one.number
    ]
    assert numbers(search(user=agent, text="battery", filters=Filters(created_to=since))) == [
        done.number
    ]
    assert numbers(search(user=agent, text="battery", filters=Filters(kinds=("problem",)))) == []


def test_a_registered_type_without_a_stored_vector_is_searched_too(agent, requester):
    """The kernel's test Ticket has no column of the migration's: computed on the fly."""
    with transaction.atomic():
        ticket = record_create(model=Ticket, actor=requester, fields={
            "title": "Badge reader at the side door", "requester": requester,
            "description": "<p>It beeps red.</p>"})  # fmt: skip
    assert numbers(search(user=agent, text="beeps")) == [ticket.number]
    assert numbers(search(user=requester, text="badge")) == [ticket.number]


def test_cis_and_known_errors_are_staff_s_articles_their_audience_s(agent, requester, make_user):
    make_ci("mail-gateway-01", description="Relays the outgoing mail quota notices")
    error = known_error(title="Mail quota warnings loop", symptoms="<p>Quota mail loops</p>",
                        workaround="<p>Clear the quota cache on the gateway.</p>")  # fmt: skip
    from knowledge import services as knowledge

    writer = make_user(Role.AGENT)
    manager = make_user(Role.KNOWLEDGE_MANAGER)
    article = knowledge.article_create(actor=writer, title="When your mail quota is full",
                                       body="Delete old mail to free the quota.")  # fmt: skip
    for target in (ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED):
        actor = manager if target == ArticleStatus.PUBLISHED else writer
        knowledge.article_transition(actor=actor, article_id=article.pk, to=target)
    staff = search(user=agent, text="quota")
    kinds = {hit.kind for hit in staff.hits}
    assert {selectors.CI, selectors.ARTICLE, selectors.KNOWN_ERROR} <= kinds
    assert error.number in numbers(staff)
    portal = search(user=requester, text="quota")
    assert {hit.kind for hit in portal.hits} == {selectors.ARTICLE}
    assert portal.hits[0].url == reverse("portal:article", args=[article.pk])
    only_cis = search(user=agent, text="quota", filters=Filters(kinds=(selectors.CI,)))
    assert {hit.kind for hit in only_cis.hits} == {selectors.CI}


def test_the_snippet_escapes_what_the_record_holds(agent):
    incident(actor=agent, title="Odd <script>alert(1)</script> banner",
             description="<p>The banner shows &lt;b&gt;bold&lt;/b&gt; text.</p>")  # fmt: skip
    found = search(user=agent, text="banner")
    snippet = str(found.hits[0].snippet)
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "<mark>" in snippet.lower()


def test_nothing_to_search_finds_nothing(agent, printer):
    assert search(user=agent, text="   ").hits == []
    assert search(user=agent, text="zzzunknownword").hits == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored vectors")
def test_the_records_and_comments_carry_an_indexed_stored_vector():
    for table in ("incidents_incident", "servicedesk_comment", "catalogue_servicerequest"):
        assert selectors.has_stored_vector(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('inc_search_idx', 'sd_comment_search_idx')"
        )
        assert len(cursor.fetchall()) == 2


# --- The page ---------------------------------------------------------------------------------


def test_the_agent_page_shows_the_ranked_highlighted_hits(client, agent, printer):
    client.force_login(agent)
    page = client.get(reverse("search:search"), {"q": "toner"}).content.decode()
    assert printer.number in page and "<mark>" in page.lower()
    assert 'data-test="header-search"' in page


def test_the_end_user_page_is_in_the_portal_and_shows_only_their_records(
    client, requester, stranger, printer
):
    client.force_login(stranger)
    page = client.get(reverse("search:search"), {"q": "printer"}).content.decode()
    assert "portal-nav" in page and printer.number not in page
    assert 'data-test="search-empty"' in page
    client.force_login(requester)
    page = client.get(reverse("search:search"), {"q": "printer"}).content.decode()
    assert printer.number in page


def test_bad_filters_are_a_400_naming_the_field(client, agent):
    client.force_login(agent)
    answer = client.get(reverse("search:search"), {"q": "x", "created_from": "2026-05-02",
                                                   "created_to": "2026-05-01"})  # fmt: skip
    assert answer.status_code == 400
    assert "The end date is before the start date." in answer.content.decode()
    answer = client.get(reverse("search:search"), {"q": "x", "kind": "nonsense"})
    assert answer.status_code == 400
    assert 'data-test="search-errors"' in answer.content.decode()


def test_signed_out_people_are_sent_to_sign_in(client):
    answer = client.get(reverse("search:search"), {"q": "printer"})
    assert answer.status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_common_word_walks_the_newest_rows_a_rare_one_uses_the_index(agent, printer, monkeypatch):
    frequencies = {"printer": 0.2, "floor": 0.3, "jams": 0.001}
    monkeypatch.setattr(selectors, "word_frequencies", lambda table: frequencies)
    assert selectors.path_for("incidents_incident", "printer") == selectors.WALK
    assert selectors.path_for("incidents_incident", "printer floor") == selectors.WALK
    assert selectors.path_for("incidents_incident", "jams") == selectors.INDEX
    assert selectors.path_for("incidents_incident", "printer or jams") == selectors.WALK
    assert selectors.path_for("incidents_incident", "unknownword") == selectors.INDEX
    # Two common words whose product looks rare: counted in the newest rows (all of them here).
    frequencies.update(printer=0.05, floor=0.05)
    assert selectors.path_for("incidents_incident", "printer floor") == selectors.WALK
    assert numbers(search(user=agent, text="printer")) == [printer.number]
    assert numbers(search(user=agent, text="jams")) == [printer.number]


# --- The API ----------------------------------------------------------------------------------


def test_the_api_answers_as_the_page_for_each_person(client, agent, requester, stranger, printer):
    with transaction.atomic():
        comment_add(record=printer, author=agent, body="<p>Swapped the drum unit.</p>",
                    visibility=Visibility.INTERNAL)  # fmt: skip
    client.force_login(agent)
    answer = client.get("/api/v1/search/", {"q": "drum", "kind": "incident"})
    assert answer.status_code == 200
    body = answer.json()
    assert [hit["number"] for hit in body["results"]] == [printer.number]
    assert "<mark>drum</mark>" in body["results"][0]["snippet"].lower()
    assert body["results"][0]["url"].endswith(f"/incidents/{printer.number}/")
    client.force_login(requester)
    assert client.get("/api/v1/search/", {"q": "drum"}).json()["results"] == []
    client.force_login(stranger)
    assert client.get("/api/v1/search/", {"q": printer.number}).json()["results"] == []


def test_the_api_refuses_unknown_parameters_and_bad_values_naming_them(client, agent):
    client.force_login(agent)
    answer = client.get("/api/v1/search/", {"q": "x", "sort": "rank"})
    assert answer.status_code == 400 and "sort" in answer.json()["errors"]
    answer = client.get("/api/v1/search/", {"q": "x", "created_from": "yesterday"})
    assert answer.status_code == 400 and "created_from" in answer.json()["errors"]
    answer = client.get("/api/v1/search/", {"q": " "})
    assert answer.status_code == 400 and "q" in answer.json()["errors"]
    client.logout()
    assert client.get("/api/v1/search/", {"q": "x"}).status_code in (401, 403)
