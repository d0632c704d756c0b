"""Comments and files are append-only in the admin; an administrator's "Redact" removes the
content and leaves a trace (who and when, an audit event, "redacted by" on the timeline)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import TestCase

from accounts.roles import Role
from servicedesk.models import Attachment, AuditEvent, AuditKind, Comment, Visibility
from servicedesk.selectors import record_timeline
from servicedesk.services import attachment_add, attachment_redact, comment_add, comment_redact

from .helpers import PDF_BYTES, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user):
    return make_user(Role.ADMINISTRATOR, full_name="Ada Admin", is_staff=True)


@pytest.fixture
def comment(ticket, end_user):
    return comment_add(record=ticket, author=end_user, body="<p>My password is hunter2</p>")


@pytest.fixture
def attachment(media_root, ticket, end_user):
    return attachment_add(record=ticket, uploaded_by=end_user, file=upload("id.pdf", PDF_BYTES))


def redaction_events(ticket):
    return AuditEvent.objects.filter(object_id=ticket.pk, kind=AuditKind.REDACTED)


def timeline_html(ticket, user) -> str:
    return render_to_string(
        "servicedesk/_timeline.html", {"timeline": record_timeline(record=ticket, user=user)}
    )


# --- The admin: read-only, no delete, one Redact action --------------------------------------


@pytest.mark.parametrize("model", ["comment", "attachment"])
def test_the_admin_cannot_change_add_or_delete_comments_and_files(
    client, administrator, comment, attachment, model
):
    row = {"comment": comment, "attachment": attachment}[model]
    client.force_login(administrator)
    base = f"/admin/servicedesk/{model}/"

    page = client.get(f"{base}{row.pk}/change/")
    assert page.status_code == 200  # shown read-only
    assert b'name="_save"' not in page.content
    assert client.post(f"{base}{row.pk}/change/", {"body": "rewritten"}).status_code == 403
    assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    listing = client.get(base)
    assert b"delete_selected" not in listing.content
    assert b'value="redact"' in listing.content
    deleted = client.post(base, {"action": "delete_selected", "_selected_action": [row.pk]})
    assert deleted.status_code in (200, 302)
    assert type(row).objects.filter(pk=row.pk).exists()
    comment.refresh_from_db()
    assert comment.body == "<p>My password is hunter2</p>"


def test_the_redact_action_removes_a_comments_text_and_leaves_a_trace(
    client, administrator, ticket, comment, agent
):
    client.force_login(administrator)
    response = client.post(
        "/admin/servicedesk/comment/", {"action": "redact", "_selected_action": [comment.pk]}
    )
    assert response.status_code == 302

    comment.refresh_from_db()
    assert comment.body == ""
    assert comment.redacted_by == administrator and comment.redacted_at is not None
    (event,) = redaction_events(ticket)
    assert (event.actor, event.field, event.old_value) == (administrator, "comment", comment.pk)
    assert event.public  # the requester saw the comment, so sees that it was redacted
    html = timeline_html(ticket, agent)
    assert "hunter2" not in html
    assert "Redacted by Ada Admin" in html
    assert "Redacted a comment" in html


def test_the_redact_action_deletes_the_file_and_its_download(
    client, administrator, ticket, attachment, end_user, media_root
):
    assert len(stored_files(media_root)) == 1
    client.force_login(administrator)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/admin/servicedesk/attachment/",
            {"action": "redact", "_selected_action": [attachment.pk]},
        )
    assert response.status_code == 302

    attachment.refresh_from_db()
    assert (attachment.file.name, attachment.size) == ("", 0)
    assert attachment.filename == "id.pdf"
    assert attachment.redacted_by == administrator
    assert stored_files(media_root) == []
    (event,) = redaction_events(ticket)
    assert (event.actor, event.field, event.old_text) == (administrator, "attachment", "id.pdf")
    client.force_login(end_user)
    assert client.get(f"/attachments/{attachment.pk}/download/").status_code == 404
    html = timeline_html(ticket, end_user)
    assert "Redacted by Ada Admin" in html
    assert f"/attachments/{attachment.pk}/download/" not in html


def test_only_administrators_may_redact(client, make_user, ticket, comment):
    staff_agent = make_user(Role.AGENT, is_staff=True)
    with pytest.raises(PermissionDenied):
        comment_redact(comment_id=comment.pk, actor=staff_agent)
    client.force_login(staff_agent)
    listing = client.get("/admin/servicedesk/comment/")
    assert b'value="redact"' not in listing.content
    client.post(
        "/admin/servicedesk/comment/", {"action": "redact", "_selected_action": [comment.pk]}
    )
    assert not Comment.objects.get(pk=comment.pk).is_redacted
    assert not redaction_events(ticket).exists()


def test_redacting_twice_leaves_one_trace(administrator, ticket, comment, attachment):
    for _ in range(2):
        comment_redact(comment_id=comment.pk, actor=administrator)
        attachment_redact(attachment_id=attachment.pk, actor=administrator)
    assert redaction_events(ticket).count() == 2


def test_an_internal_notes_redaction_stays_internal(administrator, ticket, agent, end_user):
    note = comment_add(record=ticket, author=agent, body="secret", visibility=Visibility.INTERNAL)
    comment_redact(comment_id=note.pk, actor=administrator)
    (event,) = redaction_events(ticket)
    assert not event.public
    assert event not in [e.item for e in record_timeline(record=ticket, user=end_user)]
    assert Attachment.objects.count() == 0


def test_the_api_timeline_shows_a_redacted_comment_and_file_without_their_content(
    administrator, media_root
):
    from rest_framework.test import APIClient

    from tests.incidents.factories import incident

    record = incident()
    agent = record.requester
    note = comment_add(
        record=record, author=agent, body="<p>hunter2</p>", files=[upload("a.pdf", PDF_BYTES)]
    )
    comment_redact(comment_id=note.pk, actor=administrator)
    attachment_redact(attachment_id=note.attachments.get().pk, actor=administrator)
    api = APIClient()
    api.force_authenticate(agent)
    entries = api.get(f"/api/v1/incidents/{record.number}/timeline/").json()
    (shown,) = [e["comment"] for e in entries if e["kind"] == "comment"]
    assert shown["body"] == "" and shown["redacted_at"] is not None
    (file,) = shown["attachments"]
    assert file["download_url"] is None and file["redacted_at"] is not None
    redactions = [e for e in entries if e["kind"] == "event" and e["event"]["kind"] == "redacted"]
    assert [e["actor"]["name"] for e in redactions] == ["Ada Admin", "Ada Admin"]


def test_redacting_a_merged_file_redacts_the_copy_that_shares_it(administrator, media_root):
    from incidents.services import incident_merge
    from tests.incidents.factories import incident

    duplicate = incident()
    agent = duplicate.requester
    survivor = incident(actor=agent, support_group=duplicate.support_group)
    note = comment_add(
        record=duplicate, author=agent, body="<p>log</p>", files=[upload("a.pdf", PDF_BYTES)]
    )
    incident_merge(incident_id=duplicate.pk, into_id=survivor.pk, actor=agent)
    original = note.attachments.get()
    (copy,) = Attachment.objects.exclude(pk=original.pk)
    assert copy.file.name == original.file.name

    with TestCase.captureOnCommitCallbacks(execute=True):
        attachment_redact(attachment_id=original.pk, actor=administrator)

    assert stored_files(media_root) == []
    for row in (original, copy):
        row.refresh_from_db()
        assert row.is_redacted and row.file.name == ""
    assert AuditEvent.objects.filter(kind=AuditKind.REDACTED).count() == 2
    comment_redact(comment_id=note.pk, actor=administrator)
    merged_copy = Comment.objects.exclude(pk=note.pk).get(object_id=survivor.pk)
    assert "log" in merged_copy.body  # a copy is a comment of its own: redacted on its own
