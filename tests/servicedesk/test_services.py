"""Writes shared by every record type: create, update, transition, comments and attachments."""

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from servicedesk.actors import ActorRequired, system_actor
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import (
    Attachment,
    AuditEvent,
    AuditKind,
    Comment,
    SatisfactionRating,
    Visibility,
)
from servicedesk.services import (
    attachment_add,
    comment_add,
    rating_give,
    record_create,
    record_lock,
    record_transition,
    record_update,
)
from tests.factories import SupportGroupFactory
from tests.kernel.models import TICKET_WORKFLOW, Ticket

from .helpers import PDF_BYTES, PNG_BYTES, stored_files, upload


def events_of(record, **filters):
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk, **filters
        ).order_by("created_at", "pk")
    )


def edit(*, pk, expected_version, actor, changes, internal=()):
    """What a record app's update service does: lock, check the version, apply."""
    with transaction.atomic():
        record = record_lock(model=Ticket, pk=pk, expected_version=expected_version)
        return record_update(record=record, actor=actor, changes=changes, internal=internal)


def move(*, pk, target, actor, note="", context=None):
    with transaction.atomic():
        record = record_lock(model=Ticket, pk=pk)
        return record_transition(
            record=record,
            workflow=TICKET_WORKFLOW,
            target=target,
            actor=actor,
            note=note,
            context=context,
        )


# --- record_create --------------------------------------------------------------------------


def test_create_numbers_the_record_sets_the_initial_status_and_audits_it(make_ticket, agent):
    record = make_ticket(actor=agent, description="<p>It <b>jams</b></p>")
    record.refresh_from_db()
    assert record.status == TICKET_WORKFLOW.initial == "new"
    assert record.version == 1
    assert record.number.startswith("TKT")

    [event] = events_of(record)
    assert event.kind == AuditKind.CREATED
    assert event.actor == agent
    assert event.new_text == record.number
    assert event.public is True
    assert event.record == record


def test_create_sanitises_the_description(make_ticket):
    record = make_ticket(description='<p onclick="steal()">Help<script>alert(1)</script></p>')
    record.refresh_from_db()
    assert record.description == "<p>Help</p>"


def test_create_refuses_invalid_fields_and_saves_nothing(make_ticket):
    with pytest.raises(ValidationError) as refused:
        make_ticket(title="x" * 201)
    assert "title" in refused.value.message_dict
    assert not Ticket.objects.exists()
    assert not AuditEvent.objects.exists()


def test_automation_is_recorded_as_the_system_actor(end_user):
    with transaction.atomic():
        record = record_create(
            model=Ticket,
            actor=system_actor(),
            fields={"title": "From e-mail", "requester": end_user},
        )
    [event] = events_of(record)
    assert event.kind == AuditKind.CREATED
    assert event.actor == system_actor()
    assert event.actor.full_name == "Service Desk automation"


def test_a_missing_actor_is_refused_and_nothing_is_saved(end_user):
    with pytest.raises(ActorRequired, match="system_actor"), transaction.atomic():
        record_create(model=Ticket, actor=None, fields={"title": "x", "requester": end_user})
    assert not Ticket.objects.exists()
    assert not AuditEvent.objects.exists()


# --- record_update --------------------------------------------------------------------------


def test_update_audits_each_changed_field_with_old_and_new_values(ticket, agent):
    team = SupportGroupFactory(name="Network")
    changed = edit(
        pk=ticket.pk,
        expected_version=1,
        actor=agent,
        changes={"title": "Printer jams on every page", "assignee": agent, "support_group": team},
        internal=["assignee", "support_group"],
    )
    assert changed == ["title", "assignee", "support_group"]

    ticket.refresh_from_db()
    assert ticket.title == "Printer jams on every page"
    assert ticket.assignee == agent
    assert ticket.support_group == team
    assert ticket.version == 2

    title, assignee, group = events_of(ticket, kind__in=[AuditKind.FIELD_CHANGED, "assigned"])
    assert (title.kind, title.field, title.actor) == (AuditKind.FIELD_CHANGED, "title", agent)
    assert (title.old_value, title.new_value) == ("Printer on floor 3 is jammed", ticket.title)
    assert (title.old_text, title.new_text) == ("Printer on floor 3 is jammed", ticket.title)
    assert title.public is True

    assert (assignee.kind, assignee.field) == (AuditKind.ASSIGNED, "assignee")
    assert (assignee.old_value, assignee.new_value) == (None, agent.pk)
    assert (assignee.old_text, assignee.new_text) == ("", "Arash Agent")
    assert assignee.public is False

    assert (group.kind, group.old_value, group.new_value) == (AuditKind.ASSIGNED, None, team.pk)
    assert group.new_text == "Network"
    assert group.public is False


def test_update_without_a_real_change_saves_nothing(ticket, agent):
    before = ticket.updated_at
    changed = edit(pk=ticket.pk, expected_version=1, actor=agent, changes={"title": ticket.title})
    assert changed == []
    ticket.refresh_from_db()
    assert ticket.version == 1
    assert ticket.updated_at == before
    assert [event.kind for event in events_of(ticket)] == [AuditKind.CREATED]


def test_update_sanitises_the_description_before_comparing(make_ticket, agent):
    record = make_ticket(description="<p>Paper jam</p>")
    same = edit(
        pk=record.pk,
        expected_version=1,
        actor=agent,
        changes={"description": "<p>Paper jam</p><script>x()</script>"},
    )
    assert same == []
    changed = edit(
        pk=record.pk,
        expected_version=1,
        actor=agent,
        changes={"description": '<p style="color:red">Toner empty</p>'},
    )
    assert changed == ["description"]
    record.refresh_from_db()
    assert record.description == "<p>Toner empty</p>"
    [event] = events_of(record, kind=AuditKind.FIELD_CHANGED)
    assert (event.old_value, event.new_value) == ("<p>Paper jam</p>", "<p>Toner empty</p>")


def test_update_refuses_invalid_values_and_leaves_the_row_and_audit_alone(ticket, agent):
    with pytest.raises(ValidationError) as refused:
        edit(pk=ticket.pk, expected_version=1, actor=agent, changes={"title": ""})
    assert "title" in refused.value.message_dict
    ticket.refresh_from_db()
    assert ticket.title == "Printer on floor 3 is jammed"
    assert ticket.version == 1
    assert [event.kind for event in events_of(ticket)] == [AuditKind.CREATED]


def test_each_update_bumps_the_version(ticket, agent):
    for version, title in enumerate(["One", "Two", "Three"], start=1):
        edit(pk=ticket.pk, expected_version=version, actor=agent, changes={"title": title})
    ticket.refresh_from_db()
    assert (ticket.title, ticket.version) == ("Three", 4)
    assert len(events_of(ticket, kind=AuditKind.FIELD_CHANGED)) == 3


def test_a_stale_version_is_refused_and_the_row_keeps_the_other_persons_change(ticket, agent):
    # Two people open version 1; the first saves.
    edit(pk=ticket.pk, expected_version=1, actor=agent, changes={"title": "First save wins"})

    with pytest.raises(StaleVersion) as refused:
        edit(pk=ticket.pk, expected_version=1, actor=agent, changes={"title": "Lost update"})
    assert refused.value.status_code == 409
    assert "Somebody else changed this record" in str(refused.value)

    ticket.refresh_from_db()
    assert ticket.title == "First save wins"
    assert ticket.version == 2
    assert [event.new_value for event in events_of(ticket, kind=AuditKind.FIELD_CHANGED)] == [
        "First save wins"
    ]


def test_lock_returns_the_current_record(ticket):
    with transaction.atomic():
        locked = record_lock(model=Ticket, pk=ticket.pk, expected_version=1)
        assert locked.pk == ticket.pk
        unchecked = record_lock(model=Ticket, pk=ticket.pk)
        assert unchecked.version == 1
    with transaction.atomic(), pytest.raises(Ticket.DoesNotExist):
        record_lock(model=Ticket, pk=ticket.pk + 1000)


# --- record_transition ----------------------------------------------------------------------


def test_transition_changes_the_status_bumps_the_version_and_audits(ticket, agent):
    record = move(pk=ticket.pk, target="in_progress", actor=agent, note="Looking at it")
    assert record.status == "in_progress"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == ("in_progress", 2)

    [event] = events_of(ticket, kind=AuditKind.STATUS_CHANGED)
    assert (event.field, event.old_value, event.new_value) == ("status", "new", "in_progress")
    assert (event.old_text, event.new_text) == ("New", "In progress")
    assert event.note == "Looking at it"
    assert event.actor == agent
    assert event.public is True


def test_a_refused_transition_leaves_the_status_and_audit_unchanged(ticket, agent):
    with pytest.raises(TransitionNotAllowed, match="cannot go from “New” to “Closed”"):
        move(pk=ticket.pk, target="closed", actor=agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == ("new", 1)
    assert events_of(ticket, kind=AuditKind.STATUS_CHANGED) == []


def test_a_guard_refusal_leaves_the_in_memory_record_alone_too(ticket, agent):
    with transaction.atomic():
        record = record_lock(model=Ticket, pk=ticket.pk)
        with pytest.raises(TransitionNotAllowed, match="needs a resolution note"):
            record_transition(
                record=record, workflow=TICKET_WORKFLOW, target="resolved", actor=agent
            )
        assert (record.status, record.version) == ("new", 1)
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_a_guarded_transition_passes_with_its_context_and_ends_in_a_final_state(ticket, agent):
    move(pk=ticket.pk, target="resolved", actor=agent, context={"note": "Cleared the jam"})
    move(pk=ticket.pk, target="closed", actor=agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == ("closed", 3)
    assert [(e.old_value, e.new_value) for e in events_of(ticket, kind="status_changed")] == [
        ("new", "resolved"),
        ("resolved", "closed"),
    ]
    with pytest.raises(TransitionNotAllowed):
        move(pk=ticket.pk, target="in_progress", actor=agent)


# --- comments -------------------------------------------------------------------------------


def test_comments_are_public_replies_by_default(ticket, end_user):
    comment = comment_add(record=ticket, author=end_user, body="<p>Still broken</p>")
    comment.refresh_from_db()
    assert comment.visibility == Visibility.PUBLIC
    assert comment.is_public
    assert comment.record == ticket
    assert comment.author == end_user
    assert comment.body == "<p>Still broken</p>"


def test_internal_work_notes_are_not_public(ticket, agent):
    comment = comment_add(
        record=ticket, author=agent, body="Vendor ticket 4711", visibility=Visibility.INTERNAL
    )
    comment.refresh_from_db()
    assert comment.visibility == "internal"
    assert not comment.is_public


def test_comment_bodies_are_sanitised(ticket, end_user):
    comment = comment_add(
        record=ticket,
        author=end_user,
        body='<p>See <a href="https://example.org" onclick="x()">this</a></p><script>x()</script>',
    )
    assert "script" not in comment.body
    assert "onclick" not in comment.body
    assert 'href="https://example.org"' in comment.body


@pytest.mark.parametrize(
    "body", ["", "   ", "<p></p>", "<script>alert(1)</script>", "<p>&nbsp;</p>"]
)
def test_an_empty_comment_is_refused(ticket, end_user, body):
    with pytest.raises(ValidationError) as refused:
        comment_add(record=ticket, author=end_user, body=body)
    assert refused.value.message_dict == {"body": ["Write something before you send it."]}
    assert not Comment.objects.exists()


def test_an_unknown_visibility_is_refused(ticket, end_user):
    with pytest.raises(ValidationError) as refused:
        comment_add(record=ticket, author=end_user, body="Hello", visibility="secret")
    assert "visibility" in refused.value.message_dict
    assert not Comment.objects.exists()


def test_files_on_a_comment_share_its_visibility(ticket, agent, media_root):
    comment = comment_add(
        record=ticket,
        author=agent,
        body="Logs attached",
        visibility=Visibility.INTERNAL,
        files=[upload("log.txt", b"error 42\n"), upload("screen.png", PNG_BYTES)],
    )
    files = list(comment.attachments.order_by("filename"))
    assert [(f.filename, f.mime_type, f.visibility) for f in files] == [
        ("log.txt", "text/plain", "internal"),
        ("screen.png", "image/png", "internal"),
    ]
    assert all(f.record == ticket and f.uploaded_by == agent for f in files)
    assert len(stored_files(media_root)) == 2


def test_a_refused_file_cancels_the_whole_comment(ticket, agent, media_root):
    with pytest.raises(ValidationError) as refused:
        comment_add(
            record=ticket,
            author=agent,
            body="Two files",
            files=[upload("ok.pdf", PDF_BYTES), upload("tool.exe", b"MZ\x90\x00binary")],
        )
    assert "file" in refused.value.message_dict
    assert not Comment.objects.exists()
    assert not Attachment.objects.exists()


# --- attachments ----------------------------------------------------------------------------


def test_attachment_add_stores_the_file_with_its_facts(ticket, end_user, media_root):
    attachment = attachment_add(
        record=ticket, uploaded_by=end_user, file=upload("invoice.pdf", PDF_BYTES)
    )
    attachment.refresh_from_db()
    assert attachment.record == ticket
    assert attachment.comment is None
    assert (attachment.filename, attachment.mime_type) == ("invoice.pdf", "application/pdf")
    assert attachment.size == len(PDF_BYTES)
    assert attachment.uploaded_by == end_user
    assert attachment.visibility == Visibility.PUBLIC
    assert str(attachment) == "invoice.pdf"
    assert attachment.file.name.startswith("attachments/")
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    [path] = stored_files(media_root)
    assert path.read_bytes() == PDF_BYTES


def test_attachment_add_refuses_with_a_field_error_and_stores_nothing(ticket, end_user, media_root):
    with pytest.raises(ValidationError) as refused:
        attachment_add(record=ticket, uploaded_by=end_user, file=upload("run.sh", b"#!/bin/sh\n"))
    [message] = refused.value.message_dict["file"]
    assert "“run.sh” is not a file type we accept" in message
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_a_rating_is_stored_once_per_record_and_rating_again_replaces_it(ticket, end_user):
    with time_machine.travel("2025-03-03 10:00Z", tick=False):
        rating_give(record=ticket, rated_by=end_user, score=2, comment="<b>Slow</b>")
    with time_machine.travel("2025-04-01 09:00Z", tick=False):
        rating = rating_give(record=ticket, rated_by=end_user, score="5", comment="Fixed for good")
    assert SatisfactionRating.objects.count() == 1
    rating.refresh_from_db()
    assert (rating.score, rating.comment, rating.record) == (5, "Fixed for good", ticket)
    assert rating.created_at.isoformat() == "2025-04-01T09:00:00+00:00"  # counted in April


@pytest.mark.parametrize("score", [0, 6, "", None, "great"])
def test_a_rating_outside_one_to_five_is_refused(ticket, end_user, score):
    with pytest.raises(ValidationError) as error:
        rating_give(record=ticket, rated_by=end_user, score=score)
    assert "score" in error.value.message_dict
    assert not SatisfactionRating.objects.exists()
