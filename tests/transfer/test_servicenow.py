"""Importing a ServiceNow incident export: rows of one incident grouped and ordered by
sys_mod_count, `?` for null, d/m/yyyy HH:MM dates, states mapped (pending reasons too), the
history rebuilt into the timeline, the external number kept; bad input reported per row in the
dry run and nothing half-written."""

from datetime import UTC, datetime

import pytest

from accounts.models import SupportGroup, User
from accounts.roles import Role
from incidents import priority_data
from incidents.models import Category, Incident
from servicedesk.actors import system_actor
from servicedesk.models import AuditEvent, AuditKind, ExternalKey
from tests.factories import UserFactory
from tests.incidents.factories import SupportGroupFactory
from transfer import services
from transfer.models import ImportMode, JobStatus

pytestmark = pytest.mark.django_db

HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_at,contact_type,category,subcategory,impact,urgency,priority,"
    "assignment_group,assigned_to,closed_code,resolved_at,closed_at,sys_updated_at"
)
ROWS = [
    # INC0000045, rows out of order: New, Active, Awaiting User Info, Active, Resolved, Closed
    "INC0000045,Active,true,0,0,2,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 56,Resolver 89,?,?,?,29/2/2016 01:53",
    "INC0000045,New,true,0,0,0,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 56,?,?,?,?,29/2/2016 01:23",
    "INC0000045,Awaiting User Info,true,0,0,3,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 56,Resolver 89,?,?,?,29/2/2016 08:00",
    "INC0000045,Active,true,0,0,1,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 56,?,?,?,?,29/2/2016 01:25",
    "INC0000045,Active,true,1,0,4,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 70,Resolver 90,?,?,?,1/3/2016 09:00",
    "INC0000045,Resolved,true,1,0,5,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 70,Resolver 90,code 5,1/3/2016 10:30,?,1/3/2016 10:30",
    "INC0000045,Closed,false,1,0,6,true,Caller 2403,29/2/2016 01:16,Phone,Category 55,Subcategory 170,2 - Medium,2 - Medium,3 - Moderate,Group 70,Resolver 90,code 5,1/3/2016 10:30,6/3/2016 11:00,6/3/2016 11:00",
    # INC0000047: still waiting on a vendor, high impact
    "INC0000047,New,true,0,0,0,false,Caller 2404,1/3/2016 09:00,Email,Category 26,Subcategory 9,1 - High,2 - Medium,2 - High,Group 56,?,?,?,?,1/3/2016 09:00",
    "INC0000047,Awaiting Vendor,true,0,0,1,false,Caller 2404,1/3/2016 09:00,Email,Category 26,Subcategory 9,1 - High,2 - Medium,2 - High,Group 56,Resolver 89,?,?,?,1/3/2016 10:00",
]  # fmt: skip


def export(rows=ROWS, header=HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(admin, data, **options):
    options.setdefault("dry_run", False)
    options.setdefault("create_missing", True)
    job = services.import_job_create(
        actor=admin, data=data, file_name="incident_event_log.csv", format="servicenow", **options
    )
    return services.import_run(job_id=job.pk)


def messages(job) -> list[str]:
    return list(job.issues.values_list("message", flat=True))


def test_an_export_becomes_incidents_with_their_history(admin):
    job = run(admin, export())
    assert (job.status, job.records_written, job.errors) == (JobStatus.DONE, 2, 0), messages(job)
    key = ExternalKey.objects.get(source="servicenow", value="INC0000045")
    closed = Incident.objects.get(pk=key.object_id)
    assert closed.number.startswith("INC") and closed.number != "INC0000045"
    assert closed.status == "closed"
    assert closed.created_at == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)
    assert closed.resolved_at == datetime(2016, 3, 1, 10, 30, tzinfo=UTC)
    assert closed.closed_at == datetime(2016, 3, 6, 11, 0, tzinfo=UTC)
    assert closed.first_responded_at == datetime(2016, 2, 29, 1, 25, tzinfo=UTC)
    assert (closed.impact, closed.urgency, closed.priority) == ("medium", "medium", 3)
    assert closed.support_group.name == "Group 70" and closed.assignee.full_name == "Resolver 90"
    assert closed.requester.full_name == "Caller 2403"
    assert closed.reassignment_count == 1 and closed.channel == "phone"
    assert (closed.category.name, closed.subcategory.name) == ("Category 55", "Subcategory 170")
    assert closed.get_resolution_code_display() == "code 5"
    events = list(
        AuditEvent.objects.filter(object_id=closed.pk, content_type__model="incident")
        .order_by("created_at", "id")
        .values_list("kind", "new_value", "created_at")
    )
    assert events[0][0] == AuditKind.IMPORTED
    statuses = [(new, at) for kind, new, at in events if kind == AuditKind.STATUS_CHANGED]
    assert [s for s, _at in statuses] == [
        "in_progress", "pending", "in_progress", "resolved", "closed",
    ]  # fmt: skip
    assert statuses[1][1] == datetime(2016, 2, 29, 8, 0, tzinfo=UTC)
    rows = AuditEvent.objects.filter(object_id=closed.pk, content_type__model="incident")
    assert {row.actor_id for row in rows} == {system_actor().pk}

    waiting = Incident.objects.get(
        pk=ExternalKey.objects.get(source="servicenow", value="INC0000047").object_id
    )
    assert (waiting.status, waiting.pending_reason) == ("pending", "supplier")
    assert (waiting.impact, waiting.urgency, waiting.priority) == ("high", "medium", 2)


def test_an_export_is_imported_once(admin):
    run(admin, export())
    again = run(admin, export())
    assert again.status == JobStatus.FAILED and again.records_written == 0
    assert "INC0000045 was imported before." in messages(again)  # and not written twice
    assert Incident.objects.count() == 2


def test_the_dry_run_reports_every_row_and_writes_nothing(admin):
    bad = [
        ROWS[0].replace("29/2/2016 01:53", "2016-02-31 99:00"),  # wrong date
        *ROWS[1:7],
        ROWS[7].replace("New,", "Awaiting Godot,"),  # unmapped status
        ROWS[8],
        ROWS[8],  # the same update twice
        ROWS[1].replace("INC0000045", "INC0000050"),  # fine, but names a group and a caller
    ]
    bad = [f"{row},red" for row in bad]
    job = run(admin, export(bad, HEADER + ",u_colour"), dry_run=True, create_missing=False)
    assert job.status == JobStatus.CHECKED
    issues = {(i.line, i.level, i.field) for i in job.issues.all()}
    text = " ".join(messages(job))
    assert (2, "error", "updated_at") in issues
    assert (9, "error", "status") in issues
    assert (11, "error", "number") in issues
    assert "Columns not imported (unknown): u_colour" in text
    assert "Unknown support group “Group 56”" in text
    assert "Unknown person “Caller 2403”" in text
    assert Incident.objects.count() == 0
    assert not SupportGroup.objects.exists() and not Category.objects.exists()
    assert not User.objects.filter(full_name__startswith="Caller").exists()


def test_all_or_nothing_writes_nothing_when_one_record_fails(admin):
    rows = [*ROWS[:7], ROWS[7].replace("New,", "Awaiting Godot,"), ROWS[8]]
    job = run(admin, export(rows))
    assert job.status == JobStatus.FAILED and Incident.objects.count() == 0


def test_per_batch_leaves_out_the_failing_records_only(admin):
    rows = [*ROWS[:7], ROWS[7].replace("New,", "Awaiting Godot,"), ROWS[8]]
    job = run(admin, export(rows), mode=ImportMode.BATCH, batch_size=1)
    assert (job.status, job.records_written) == (JobStatus.DONE, 1)
    assert ExternalKey.objects.filter(value="INC0000045").exists()
    assert not ExternalKey.objects.filter(value="INC0000047").exists()


def test_known_groups_and_people_are_found_without_creating(admin):
    SupportGroupFactory(name="Group 56")
    job = run(admin, export(ROWS[7:8]), create_missing=False)
    assert "Unknown person “Caller 2404”." in messages(job)
    UserFactory(full_name="Caller 2404")
    CategoryFactory = Category.objects.create  # noqa: N806
    parent = CategoryFactory(name="Category 26")
    CategoryFactory(name="Subcategory 9", parent=parent)
    job = run(admin, export(ROWS[7:8]), create_missing=False)
    assert job.records_written == 1, messages(job)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.encode("cp1252"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
    ],
    ids=["utf-8", "utf-8-bom", "windows-1252", "utf-16-bom", "utf-16-le"],
)
def test_every_encoding_reads_the_same(admin, encode):
    text = export(ROWS[7:9]).decode().replace("Caller 2404", "Zoë Müller")
    job = run(admin, encode(text))
    assert job.records_written == 1, messages(job)
    assert User.objects.filter(full_name="Zoë Müller").exists()


def test_a_non_admin_may_not_import():
    with pytest.raises(services.PermissionDenied):
        services.import_job_create(
            actor=UserFactory(role=Role.AGENT), data=export(), file_name="x.csv",
            format="servicenow",
        )  # fmt: skip


def five_level_min_desk():
    levels = [(f"{n}", f"Level {n}") for n in range(1, 6)]
    priority_data.priority_scale_set(
        impacts=levels, urgencies=levels, rule="min", actor=system_actor()
    )


def three_level_sum_desk():
    levels = [(f"{n}", f"Level {n}") for n in range(1, 4)]
    priority_data.priority_scale_set(
        impacts=levels, urgencies=levels, rule="sum", cap=4, actor=system_actor()
    )


@pytest.mark.parametrize(
    ("desk", "levels", "rule"),
    [(five_level_min_desk, 5, lambda i, u: min(i, u)),
     (three_level_sum_desk, 3, lambda i, u: min(4, i + u - 1))],
    ids=["5-level min", "3-level sum"],
)  # fmt: skip
def test_the_desk_computes_the_old_tools_priority_for_every_record(admin, desk, levels, rule):
    desk()
    rows, answers = [], {}
    for i in range(1, levels + 1):
        for u in range(1, levels + 1):
            number = f"INC{i}{u:05d}"
            answers[number] = rule(i, u)
            rows.append(
                f"{number},New,true,0,0,0,true,Caller 1,1/3/2016 09:00,Phone,?,?,{i},{u},"
                f"{rule(i, u)},Group 1,?,?,?,?,1/3/2016 09:00"
            )
    job = run(admin, export(rows))
    assert (job.records_written, job.warnings, job.errors) == (levels * levels, 0, 0), messages(job)
    got = {
        key.value: Incident.objects.get(pk=key.object_id).priority
        for key in ExternalKey.objects.filter(source="servicenow", content_type__model="incident")
    }
    assert got == answers


def test_the_command_checks_then_imports(admin, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "export.csv"
    path.write_bytes(export())
    out = StringIO()
    with pytest.raises(SystemExit):  # a dry run with errors: unknown group, people...
        call_command("import_records", str(path), "--format", "servicenow", "--as", admin.email,
                     stdout=out)  # fmt: skip
    assert "Unknown support group “Group 56”" in out.getvalue()
    assert Incident.objects.count() == 0
    out = StringIO()
    call_command("import_records", str(path), "--format", "servicenow", "--as", admin.email,
                 "--run", "--create", stdout=out)  # fmt: skip
    assert "2 written, 0 errors" in out.getvalue()
    assert Incident.objects.count() == 2
