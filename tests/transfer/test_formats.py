"""The other formats, read from real files: JSON lines (one object per record, or per update
with a `sequence`) and a django-helpdesk 2.6 `dumpdata auth.user helpdesk.queue helpdesk.ticket
helpdesk.followup` export (fixtures/helpdesk-2.6.json, made with django-helpdesk itself: two
queues, four tickets, six follow-ups)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incidents.models import Incident
from servicedesk.models import AuditEvent, Comment, ExternalKey
from transfer import services
from transfer.models import JobStatus

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def run(admin, data: bytes, format: str, **options):
    options.setdefault("dry_run", False)
    options.setdefault("create_missing", True)
    job = services.import_job_create(
        actor=admin, data=data, file_name=f"export.{format}", format=format, **options
    )
    return services.import_run(job_id=job.pk)


def issues(job) -> list[tuple[int, str, str]]:
    return list(job.issues.values_list("line", "level", "message"))


def imported(source: str, number: str) -> Incident:
    key = ExternalKey.objects.get(source=source, value=number)
    return Incident.objects.get(pk=key.object_id)


def jsonl(*objects) -> bytes:
    return ("\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n").encode()


# --- JSON lines -------------------------------------------------------------------------------


def test_json_lines_one_object_per_record(admin):
    data = jsonl(
        {"number": "OLD-1", "status": "resolved", "opened_at": "2026-03-02 09:00:00",
         "resolved_at": "2026-03-02 11:00:00", "title": "Printer jams", "impact": "high",
         "urgency": "low", "group": "Desk", "requester": "carol@example.com",
         "comment": "Roller replaced"},
        {"number": "OLD-2", "status": "in_progress", "opened_at": "2026-03-03T07:15:00",
         "title": "VPN “down” – بدون اتصال", "group": "Network", "reopen_count": 1,
         "impact": "medium", "urgency": "high"},
    )  # fmt: skip
    job = run(admin, data, "jsonl")
    assert (job.status, job.records_written, job.errors) == (JobStatus.DONE, 2, 0), issues(job)
    first = imported("import", "OLD-1")
    assert first.status == "resolved" and first.title == "Printer jams"
    assert first.created_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert first.resolved_at == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert (first.impact, first.urgency) == ("high", "low")
    assert first.support_group.name == "Desk" and first.requester.email == "carol@example.com"
    assert Comment.objects.filter(object_id=first.pk, body="Roller replaced").exists()
    second = imported("import", "OLD-2")
    assert second.title == "VPN “down” – بدون اتصال" and second.reopen_count == 1


def test_json_lines_one_object_per_update_in_sequence(admin):
    data = jsonl(
        {"number": "OLD-7", "sequence": 2, "status": "resolved", "opened_at": "2026-03-02 09:00:00",
         "updated_at": "2026-03-02 12:00:00", "resolved_at": "2026-03-02 12:00:00",
         "work_note": "Rebooted the switch", "author": "bob@example.com"},
        {"number": "OLD-7", "sequence": 1, "status": "in_progress",
         "opened_at": "2026-03-02 09:00:00", "updated_at": "2026-03-02 09:30:00",
         "group": "Network", "comment": "Looking at it", "author": "bob@example.com"},
        {"number": "OLD-7", "sequence": 0, "status": "new", "opened_at": "2026-03-02 09:00:00",
         "title": "Switch down", "impact": "low", "urgency": "low"},
    )  # fmt: skip
    job = run(admin, data, "jsonl")
    assert (job.records_written, job.errors) == (1, 0), issues(job)
    record = imported("import", "OLD-7")
    assert record.status == "resolved" and record.title == "Switch down"
    assert record.resolved_at == datetime(2026, 3, 2, 12, tzinfo=UTC)
    statuses = list(
        AuditEvent.objects.filter(object_id=record.pk, content_type__model="incident",
                                  field="status").order_by("created_at", "id")
        .values_list("new_value", flat=True)
    )  # fmt: skip
    assert statuses == ["in_progress", "resolved"]
    notes = dict(Comment.objects.filter(object_id=record.pk).values_list("body", "visibility"))
    assert notes == {"Looking at it": "public", "Rebooted the switch": "internal"}


def test_json_lines_bad_input_is_reported_on_its_line_and_nothing_written(admin):
    data = (
        jsonl(
            {
                "number": "OLD-1",
                "status": "new",
                "opened_at": "2026-03-02 09:00:00",
                "impact": "low",
                "urgency": "low",
            }
        )
        + b"{not json\n"
        + jsonl(
            ["a list"],
            {"number": "OLD-3", "status": "lost", "opened_at": "2026-03-02 09:00:00"},
            {"number": "OLD-4", "status": "new", "opened_at": "yesterday"},
            {"status": "new", "opened_at": "2026-03-02 09:00:00"},
        )
    )
    job = run(admin, data, "jsonl")
    assert job.records_written == 0 and Incident.objects.count() == 0
    found = issues(job)
    lines = {line for line, level, _m in found if level == "error"}
    assert lines == {2, 3, 4, 5, 6}, found
    messages = " ".join(m for _l, _v, m in found)
    assert "not a JSON object" in messages and "no status for “lost”" in messages
    assert "“yesterday” is not a date" in messages and "no number" in messages


def test_json_lines_without_a_required_field_is_an_error_not_a_crash(admin):
    job = run(admin, jsonl({"number": "OLD-9", "title": "No status, no opening"}), "jsonl")
    assert job.records_written == 0 and Incident.objects.count() == 0
    assert job.errors >= 1, issues(job)


# --- django-helpdesk --------------------------------------------------------------------------


def helpdesk_export() -> bytes:
    return (FIXTURES / "helpdesk-2.6.json").read_bytes()


def test_a_django_helpdesk_export_becomes_incidents_with_their_follow_ups(admin):
    job = run(admin, helpdesk_export(), "helpdesk")
    assert (job.status, job.records_written, job.errors) == (JobStatus.DONE, 4, 0), issues(job)
    printer = imported("helpdesk", "1")
    assert printer.title == "Printer on floor 2 jams" and printer.status == "closed"
    assert printer.support_group.name == "Helpdesk Queue"
    assert printer.assignee.email == "alice@example.com"
    assert printer.requester.email == "carol@example.com"
    assert printer.created_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert printer.resolved_at == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert printer.closed_at == datetime(2026, 3, 4, 8, tzinfo=UTC)
    assert printer.priority == 3
    replies = list(
        Comment.objects.filter(object_id=printer.pk).order_by("created_at")
        .values_list("body", "visibility", "author__email", "created_at")
    )  # fmt: skip
    assert replies[0] == ("Cleared the tray; does it print now?", "public", "alice@example.com",
                          datetime(2026, 3, 2, 9, 30, tzinfo=UTC))  # fmt: skip
    assert len(replies) == 3
    vpn = imported("helpdesk", "2")
    assert vpn.status == "in_progress" and vpn.priority == 1
    assert vpn.support_group.name == "Network Team" and vpn.assignee.email == "bob@example.com"
    note = Comment.objects.get(object_id=vpn.pk)
    assert note.visibility == "internal" and note.body.startswith("Tunnel flaps")
    reopened = imported("helpdesk", "3")
    assert reopened.status == "in_progress" and reopened.priority == 4
    assert reopened.reopen_count == 1
    duplicate = imported("helpdesk", "4")
    assert duplicate.status == "cancelled" and duplicate.priority == 2
    assert duplicate.requester.email == "dave@example.com"


def test_a_django_helpdesk_export_twice_imports_nothing_twice(admin):
    run(admin, helpdesk_export(), "helpdesk")
    again = run(admin, helpdesk_export(), "helpdesk")
    assert again.records_written == 0 and Incident.objects.count() == 4


def test_a_django_helpdesk_dry_run_writes_nothing(admin):
    job = run(admin, helpdesk_export(), "helpdesk", dry_run=True)
    assert job.status == JobStatus.CHECKED and job.records_total == 4 and job.errors == 0
    assert Incident.objects.count() == 0


def test_a_file_that_is_not_a_django_helpdesk_export_is_one_clear_error(admin):
    job = run(admin, b"number,status\n1,new\n", "helpdesk")
    assert job.records_written == 0
    assert [m for _l, _v, m in issues(job)] == ["This is not a django-helpdesk JSON export."]
