"""An import streams its file: rows sorted by record on disk, then checked and written a chunk
of whole records at a time, each record built once. Whatever the chunk and run sizes, and in
whatever order the file has the rows, it gives the records one pass over the sorted file gives;
duplicates far apart are still found; all or nothing still writes nothing; the dashboards'
refresh of the records written survives a broker outage."""

import gc
import logging
import random

import pytest

from bench.imports import generate
from dashboards.models import RecordFact
from incidents.models import Incident
from servicedesk.models import AuditEvent, Comment, ExternalKey
from transfer import reader, services
from transfer.models import ImportMapping, ImportMode, JobStatus
from transfer.tasks import refresh_after_imports_task

pytestmark = pytest.mark.django_db


def run(admin, data, *, source="servicenow", **options):
    options.setdefault("dry_run", False)
    options.setdefault("create_missing", True)
    mapping = None
    if source != "servicenow":
        mapping = ImportMapping.objects.create(name=source, format="servicenow", source=source)
    job = services.import_job_create(
        actor=admin, data=data, file_name="export.csv", format="servicenow", mapping=mapping,
        **options,
    )  # fmt: skip
    return services.import_run(job_id=job.pk)


def shuffled(data: bytes, seed=7) -> bytes:
    header, *rows = data.decode().splitlines()
    random.Random(seed).shuffle(rows)
    return ("\n".join([header, *rows]) + "\n").encode()


def records(source: str) -> dict[str, tuple]:
    """Each imported record as its external number, fields and timeline."""
    keys = dict(
        ExternalKey.objects.filter(source=source, content_type__model="incident").values_list(
            "object_id", "value"
        )
    )
    got = {}
    for incident in Incident.objects.filter(pk__in=keys).select_related(
        "support_group", "assignee", "requester", "category"
    ):
        timeline = list(
            AuditEvent.objects.filter(object_id=incident.pk, content_type__model="incident")
            .order_by("created_at", "id")
            .values_list("kind", "old_value", "new_value", "new_text", "created_at")
        )
        timeline[0] = timeline[0][:2]  # the "Imported" entry names the job
        got[keys[incident.pk]] = (
            incident.status, incident.pending_reason, incident.created_at, incident.resolved_at,
            incident.closed_at, incident.first_responded_at, incident.updated_at,
            incident.impact, incident.urgency, incident.priority, incident.support_group.name,
            incident.assignee and incident.assignee.full_name, incident.requester.full_name,
            incident.category.name, incident.reassignment_count, incident.reopen_count,
            timeline,
        )  # fmt: skip
    return got


@pytest.fixture
def small_runs(monkeypatch):
    """Runs of 7 rows spooled to disk: a record's rows end up in several runs."""
    monkeypatch.setattr(reader.Stream, "RUN_ROWS", 7)
    monkeypatch.setattr(reader.Stream, "BLOCK", 3)


def test_rows_out_of_order_across_chunks_give_the_records_of_one_pass(admin, small_runs):
    data, answers = generate(40)
    whole = run(admin, data, source="whole", batch_size=50_000)
    out_of_order = shuffled(data)
    chunked = run(admin, out_of_order, source="chunked", batch_size=3)

    assert (whole.status, whole.records_written, whole.errors) == (JobStatus.DONE, 40, 0)
    assert (chunked.status, chunked.records_written, chunked.errors) == (JobStatus.DONE, 40, 0)
    assert chunked.rows_total == whole.rows_total == data.count(b"\n") - 1
    assert chunked.records_total == 40
    assert records("chunked") == records("whole")
    assert {number: got[:1] for number, got in records("chunked").items()} == {
        number: (status,) for number, (status, _priority) in answers.items()
    }


def test_a_real_run_builds_each_record_once(admin, monkeypatch):
    built = []
    build = services.Checker.build
    monkeypatch.setattr(
        services.Checker, "build", lambda self, record: built.append(record.number) or build(self, record)
    )  # fmt: skip
    data, _answers = generate(12)
    job = run(admin, data, batch_size=5)
    assert job.records_written == 12
    assert sorted(built) == sorted(set(built)) and len(built) == 12


def test_the_run_holds_one_chunk_of_records_at_a_time(admin, small_runs):
    alive = []

    def count(_progress):
        gc.collect()
        objects = gc.get_objects()
        alive.append(
            (
                sum(1 for o in objects if type(o) is services.Built),
                sum(1 for o in objects if type(o) is reader.SourceRecord),
            )
        )

    data, _answers = generate(100)
    job = services.import_job_create(
        actor=admin, data=shuffled(data), file_name="export.csv", format="servicenow",
        create_missing=True, dry_run=False, batch_size=10,
    )  # fmt: skip
    job = services.import_run(job_id=job.pk, on_batch=count)

    assert job.records_written == 100
    assert len(alive) == 10  # one report a chunk
    assert max(built for built, _records in alive) <= 10
    assert max(records for _built, records in alive) <= 10


def test_duplicates_in_different_chunks_are_reported(admin, small_runs):
    data, _answers = generate(10)
    header, *rows = data.decode().splitlines()
    first = rows[0]  # update 0 of INC0000001, again at the end of the file
    bad = ("\n".join([header, *rows, first]) + "\n").encode()
    job = run(admin, bad, batch_size=1, mode=ImportMode.BATCH)
    last_line = len(rows) + 2
    issues = list(job.issues.values_list("line", "level", "number", "message"))
    assert (last_line, "error", "INC0000001", "Update 0 of INC0000001 appears twice.") in issues
    assert job.records_written == 9
    assert not ExternalKey.objects.filter(value="INC0000001").exists()

    # INC0000002 was imported by the first job: a file naming it last is told so.
    again = run(admin, data, batch_size=1, mode=ImportMode.BATCH)
    messages = list(again.issues.values_list("message", flat=True))
    assert "INC0000002 was imported before." in messages
    assert "INC0000010 was imported before." in messages
    assert again.records_written == 1  # INC0000001, refused the first time
    assert ExternalKey.objects.filter(content_type__model="incident").count() == 10


def test_all_or_nothing_with_an_error_in_the_last_chunk_writes_nothing(admin, small_runs):
    data, _answers = generate(20)
    header, *rows = data.decode().splitlines()
    rows[-1] = rows[-1].replace(",Closed,", ",Awaiting Godot,")  # INC0000020's last update
    job = run(admin, ("\n".join([header, *rows]) + "\n").encode(), batch_size=3)

    assert (job.status, job.records_written) == (JobStatus.FAILED, 0)
    assert job.summary["records_failed"] == 1 and job.summary["records_ok"] == 19
    assert list(job.issues.filter(level="error").values_list("line", "number")) == [
        (len(rows) + 1, "INC0000020")
    ]
    assert not Incident.objects.exists() and not ExternalKey.objects.exists()  # nor people
    assert not RecordFact.objects.exists()
    assert not job.refresh_pending


def test_the_dry_run_of_a_chunked_file_writes_nothing(admin, small_runs):
    data, _answers = generate(15)
    job = run(admin, shuffled(data), batch_size=4, dry_run=True)
    assert (job.status, job.records_total, job.errors) == (JobStatus.CHECKED, 15, 0)
    assert "support group “Group" in " ".join(job.issues.values_list("message", flat=True))
    assert not Incident.objects.exists() and not job.refresh_pending


class TestRefreshAfterImport:
    def test_with_the_broker_down_the_sweep_refreshes_the_dashboards(
        self, admin, broker_down, django_capture_on_commit_callbacks, caplog
    ):
        data, _answers = generate(8)
        with (
            caplog.at_level(logging.ERROR, logger="servicedesk.jobs"),
            django_capture_on_commit_callbacks(execute=True) as callbacks,
        ):
            job = run(admin, data, batch_size=3, mode=ImportMode.BATCH)

        assert job.records_written == 8 and len(callbacks) >= 1
        assert "could not queue transfer.tasks.refresh_after_import_task" in caplog.text
        job.refresh_from_db()
        assert job.refresh_pending
        ids = set(
            ExternalKey.objects.filter(
                source="servicenow", content_type__model="incident"
            ).values_list("object_id", flat=True)
        )
        assert [[min(ids), max(ids)]] == job.refresh_ranges  # the batches' ranges, joined
        assert not RecordFact.objects.filter(object_id__in=ids).exists()  # nobody refreshed

        assert refresh_after_imports_task() == 1  # what the beat's sweep does

        assert (
            set(RecordFact.objects.filter(object_id__in=ids).values_list("object_id", flat=True))
            == ids
        )
        job.refresh_from_db()
        assert (job.refresh_pending, job.refresh_claimed_at) == (False, None)
        assert refresh_after_imports_task() == 0  # done once

    def test_with_the_broker_up_the_task_refreshes_at_once(
        self, admin, django_capture_on_commit_callbacks
    ):
        data, _answers = generate(4)
        with django_capture_on_commit_callbacks(execute=True):
            job = run(admin, data)
        job.refresh_from_db()
        assert not job.refresh_pending
        assert RecordFact.objects.filter(record_type="incident").count() == 4

    def test_a_job_still_running_is_left_to_its_own_end(self, admin):
        data, _answers = generate(3)
        job = run(admin, data)
        job.refresh_from_db()
        assert job.refresh_pending  # the test's transaction never commits: nobody was asked
        type(job).objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        assert refresh_after_imports_task() == 0
        type(job).objects.filter(pk=job.pk).update(status=JobStatus.DONE)
        assert refresh_after_imports_task() == 1


def test_json_lines_stream_too(admin, small_runs):
    import json

    def update(number, sequence, status, at, **more):
        return json.dumps({"number": number, "sequence": sequence, "status": status,
                           "opened_at": "2016-03-01 09:00:00", "updated_at": at,
                           "impact": "2", "urgency": "2", "group": "Group 1", **more})  # fmt: skip

    lines = [
        update("A-2", 1, "resolved", "2016-03-02 10:00:00", resolved_at="2016-03-02 10:00:00"),
        update("A-1", 0, "new", "2016-03-01 09:00:00"),
        "not json",
        update("A-2", 0, "new", "2016-03-01 09:00:00", comment="Printer on fire"),
        update("A-1", 1, "in_progress", "2016-03-01 09:30:00"),
        update("A-3", 0, "new", "2016-03-01 99:00:00"),
    ]
    job = services.import_job_create(
        actor=admin, data="\n".join(lines).encode(), file_name="export.jsonl", format="jsonl",
        create_missing=True, dry_run=False, mode=ImportMode.BATCH, batch_size=1,
    )  # fmt: skip
    job = services.import_run(job_id=job.pk)

    assert (job.rows_total, job.records_total, job.records_written) == (6, 3, 2)
    issues = set(job.issues.filter(level="error").values_list("line", "field"))
    assert issues == {(3, ""), (6, "updated_at")}
    by_number = {
        key.value: Incident.objects.get(pk=key.object_id)
        for key in ExternalKey.objects.filter(source="import", content_type__model="incident")
    }
    assert {n: i.status for n, i in by_number.items()} == {"A-1": "in_progress", "A-2": "resolved"}
    comment = Comment.objects.get(object_id=by_number["A-2"].pk, content_type__model="incident")
    assert comment.body == "Printer on fire"
