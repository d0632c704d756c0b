"""A record's timeline: audit events, comments and files merged oldest first, filtered by role."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from servicedesk.models import Visibility
from servicedesk.selectors import record_timeline
from servicedesk.services import (
    attachment_add,
    comment_add,
    record_create,
    record_lock,
    record_transition,
    record_update,
)
from tests.kernel.models import TICKET_WORKFLOW, Ticket

from .helpers import PDF_BYTES, PNG_BYTES, upload

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def describe(entry) -> tuple:
    """A readable summary of one timeline entry: (minutes after START, kind, what)."""
    minutes = int((entry.at - START).total_seconds() // 60)
    item = entry.item
    if entry.kind == "event":
        what = f"{item.kind}:{item.field}" if item.field else item.kind
    elif entry.kind == "comment":
        what = plain_body(item.body)
    else:
        what = item.filename
    return (minutes, entry.kind, what)


def plain_body(body: str) -> str:
    return body.removeprefix("<p>").removesuffix("</p>")


@pytest.fixture
def story(end_user, agent, media_root):
    """A ticket's life, one step every five minutes, told out of stream order on purpose."""
    with time_machine.travel(START, tick=False) as clock:

        def later():
            clock.shift(timedelta(minutes=5))

        with transaction.atomic():
            ticket = record_create(
                model=Ticket, actor=end_user, fields={"title": "VPN drops", "requester": end_user}
            )
        later()  # 5
        comment_add(record=ticket, author=end_user, body="<p>It drops every hour</p>")
        later()  # 10
        comment_add(
            record=ticket,
            author=agent,
            body="Probably the firewall",
            visibility=Visibility.INTERNAL,
        )
        later()  # 15
        attachment_add(
            record=ticket, uploaded_by=agent, file=upload("fw.txt", b"rules"), visibility="internal"
        )
        later()  # 20
        with transaction.atomic():
            locked = record_lock(model=Ticket, pk=ticket.pk)
            record_update(
                record=locked,
                actor=agent,
                changes={"assignee": agent, "title": "VPN drops hourly"},
                internal=["assignee"],
            )
        later()  # 25
        attachment_add(record=ticket, uploaded_by=end_user, file=upload("error.png", PNG_BYTES))
        later()  # 30
        comment_add(
            record=ticket,
            author=agent,
            body="Here is the fix",
            files=[upload("howto.pdf", PDF_BYTES)],
        )
        later()  # 35
        with transaction.atomic():
            locked = record_lock(model=Ticket, pk=ticket.pk)
            record_transition(
                record=locked,
                workflow=TICKET_WORKFLOW,
                target="resolved",
                actor=agent,
                note="Firewall rule fixed",
                context={"note": "Firewall rule fixed"},
            )
    return Ticket.objects.get(pk=ticket.pk)


def test_agents_see_everything_in_chronological_order(story, agent):
    timeline = record_timeline(record=story, user=agent)
    assert [describe(entry) for entry in timeline] == [
        (0, "event", "created"),
        (5, "comment", "It drops every hour"),
        (10, "comment", "Probably the firewall"),
        (15, "attachment", "fw.txt"),
        (20, "event", "assigned:assignee"),
        (20, "event", "field_changed:title"),
        (25, "attachment", "error.png"),
        (30, "comment", "Here is the fix"),
        (35, "event", "status_changed:status"),
    ]
    assert [entry.at for entry in timeline] == sorted(entry.at for entry in timeline)


def test_end_users_see_only_public_replies_files_and_events(story, end_user):
    timeline = record_timeline(record=story, user=end_user)
    assert [describe(entry) for entry in timeline] == [
        (0, "event", "created"),
        (5, "comment", "It drops every hour"),
        (20, "event", "field_changed:title"),
        (25, "attachment", "error.png"),
        (30, "comment", "Here is the fix"),
        (35, "event", "status_changed:status"),
    ]
    assert all(
        entry.item.visibility == Visibility.PUBLIC
        for entry in timeline
        if entry.kind in {"comment", "attachment"}
    )
    assert all(entry.item.public for entry in timeline if entry.kind == "event")


def test_entries_carry_who_did_it(story, end_user, agent):
    actors = [(entry.kind, entry.actor) for entry in record_timeline(record=story, user=agent)]
    assert actors[0] == ("event", end_user)  # created by the requester
    assert actors[1] == ("comment", end_user)
    assert actors[2] == ("comment", agent)
    assert actors[3] == ("attachment", agent)
    assert actors[-1] == ("event", agent)


def test_files_sent_with_a_comment_appear_under_it_not_on_their_own(story, agent):
    timeline = record_timeline(record=story, user=agent)
    [fix] = [
        entry.item for entry in timeline if entry.kind == "comment" and "fix" in entry.item.body
    ]
    assert [a.filename for a in fix.attachments.all()] == ["howto.pdf"]
    standalone = [entry.item.filename for entry in timeline if entry.kind == "attachment"]
    assert "howto.pdf" not in standalone


def test_the_status_event_keeps_its_note(story, end_user):
    last = record_timeline(record=story, user=end_user)[-1]
    assert (last.item.old_text, last.item.new_text) == ("New", "Resolved")
    assert last.item.note == "Firewall rule fixed"


def test_anonymous_visitors_get_public_entries_only(story):
    timeline = record_timeline(record=story, user=AnonymousUser())
    assert "Probably the firewall" not in [describe(entry)[2] for entry in timeline]
    assert len(timeline) == 6


def test_another_records_entries_never_leak_in(story, make_ticket, agent):
    other = make_ticket(title="Other")
    comment_add(record=other, author=agent, body="Not about the VPN")
    timeline = record_timeline(record=story, user=agent)
    assert "Not about the VPN" not in [describe(entry)[2] for entry in timeline]
    assert [describe(entry)[1:] for entry in record_timeline(record=other, user=agent)] == [
        ("event", "created"),
        ("comment", "Not about the VPN"),
    ]


def test_the_query_count_does_not_grow_with_the_timeline(story, agent, make_ticket, media_root):
    def queries_for(record) -> int:
        fresh_agent = type(agent).objects.get(pk=agent.pk)  # as the next request loads them
        with CaptureQueriesContext(connection) as captured:
            for entry in record_timeline(record=record, user=fresh_agent):
                str(entry.actor)
                if entry.kind == "comment":
                    list(entry.item.files)
        return len(captured)

    short = make_ticket(title="Short")
    comment_add(record=short, author=agent, body="One reply", files=[upload("a.pdf", PDF_BYTES)])
    queries_for(short)  # the first one fills the shared permission cache
    assert queries_for(story) == queries_for(short)
    (reply,) = [e.item for e in record_timeline(record=short, user=agent) if e.kind == "comment"]
    assert [file.filename for file in reply.files] == ["a.pdf"]  # its own files, handed to it
