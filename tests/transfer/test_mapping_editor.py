"""The mapping editor: a file with another tool's column names goes to the editor, which shows
each column with its first values and what it feeds; the administrator maps the columns, the
status and level values found in the file, names the mapping and saves it; the file is then
checked with it and runs. Bad choices are messages on the form, nothing saved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Incident
from servicedesk.models import ExternalKey
from transfer.models import ImportJob, ImportMapping, JobStatus

pytestmark = pytest.mark.django_db

FOREIGN = (
    b"Ticket ID;State;Opened on;Summary;Sev;Urg;Team;Colour\n"
    b"OT-1;Open;2026-03-02 09:00:00;Printer jams;Major;Soon;Desk;red\n"
    b"OT-2;Done;2026-03-02 10:00:00;VPN down;Minor;Later;Network;blue\n"
    b"OT-3;Waiting on customer;2026-03-03 08:00:00;Mail bounces;Major;Later;Desk;green\n"
)

COLUMNS = {"Ticket ID": "number", "State": "status", "Opened on": "opened_at",
           "Summary": "title", "Sev": "impact", "Urg": "urgency", "Team": "group",
           "Colour": ""}  # fmt: skip
VALUES = {
    "status": {
        "Open": "in_progress",
        "Done": "resolved",
        "Waiting on customer": "pending:customer",
    },
    "impact": {"Major": "1", "Minor": "3"},
    "urgency": {"Soon": "1", "Later": "3"},
}


def upload(client, data=FOREIGN, **extra):
    return client.post("/imports/", {
        "file": SimpleUploadedFile("oldtool.csv", data, content_type="text/csv"),
        "format": "csv", "mode": "all", "batch_size": 1000, "create_missing": "on",
        "sla_mode": "keep", "time_zone": "UTC", **extra,
    })  # fmt: skip


def form_data(columns=COLUMNS, values=VALUES, **extra) -> dict:
    data = {"columns-TOTAL_FORMS": len(columns), "columns-INITIAL_FORMS": len(columns)}
    for n, (column, ours) in enumerate(columns.items()):
        data[f"columns-{n}-column"], data[f"columns-{n}-feeds"] = column, ours
    for part, chosen in values.items():
        data[f"values-{part}-TOTAL_FORMS"] = data[f"values-{part}-INITIAL_FORMS"] = len(chosen)
        for n, (value, ours) in enumerate(chosen.items()):
            data[f"values-{part}-{n}-value"], data[f"values-{part}-{n}-ours"] = value, ours
    return {"name": "Old tool", "source": "oldtool", **extra, **data}


@pytest.fixture
def signed_in(client, admin):
    client.force_login(admin)
    return client


def test_unfamiliar_columns_go_to_the_editor_with_previews(signed_in):
    answer = upload(signed_in)
    job = ImportJob.objects.get()
    assert answer["Location"] == f"/imports/{job.pk}/mapping/"
    assert job.status == JobStatus.WAITING  # not checked until mapped
    page = signed_in.get(answer["Location"]).content.decode()
    assert "Ticket ID" in page and "OT-1" in page and "Printer jams" in page
    assert "Not imported" in page and "Number (theirs)" in page


def test_a_file_left_in_the_editor_links_back_to_it_from_its_page(signed_in):
    upload(signed_in)
    job = ImportJob.objects.get()
    page = signed_in.get(f"/imports/{job.pk}/").content.decode()
    assert f'href="/imports/{job.pk}/mapping/"' in page


def test_the_values_of_the_chosen_columns_are_listed_to_map(signed_in):
    job = ImportJob.objects.get(pk=int(upload(signed_in)["Location"].split("/")[2]))
    answer = signed_in.post(f"/imports/{job.pk}/mapping/", {**form_data(values={}),
                                                            "refresh": "1"})  # fmt: skip
    page = answer.content.decode()
    assert answer.status_code == 200
    for value in ("Waiting on customer", "Done", "Major", "Minor", "Soon", "Later"):
        assert f'value="{value}"' in page, value
    assert 'value="pending:customer"' in page and not ImportMapping.objects.exists()


def test_a_saved_mapping_checks_then_imports_the_file(
    signed_in, django_capture_on_commit_callbacks
):
    job = ImportJob.objects.get(pk=int(upload(signed_in)["Location"].split("/")[2]))
    with django_capture_on_commit_callbacks(execute=True):
        answer = signed_in.post(f"/imports/{job.pk}/mapping/", {**form_data(), "save": "1"})
    assert answer["Location"] == f"/imports/{job.pk}/"
    mapping = ImportMapping.objects.get()
    assert (mapping.name, mapping.source, mapping.format) == ("Old tool", "oldtool", "csv")
    assert mapping.columns["status"] == "State" and mapping.columns["description"] == ""
    assert mapping.statuses["Waiting on customer"] == ["pending", "customer"]
    assert mapping.values["impact"] == {"Major": 1, "Minor": 3}
    job.refresh_from_db()
    assert (job.mapping, job.status, job.errors, job.records_total) == (
        mapping,
        JobStatus.CHECKED,
        0,
        3,
    ), list(job.issues.values_list("message", flat=True))
    assert Incident.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/imports/{job.pk}/run/")
    waiting = Incident.objects.get(pk=ExternalKey.objects.get(source="oldtool", value="OT-3")
                                   .object_id)  # fmt: skip
    assert (waiting.status, waiting.pending_reason, waiting.title) == (
        "pending",
        "customer",
        "Mail bounces",
    )
    assert (waiting.impact, waiting.urgency) == ("high", "low")
    assert Incident.objects.count() == 3
    # The next file from the same tool: the saved mapping, no editor.
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(signed_in, FOREIGN.replace(b"OT-", b"OT-9"), mapping=mapping.pk)
    second = ImportJob.objects.latest("created_at")
    assert again["Location"] == f"/imports/{second.pk}/"
    assert (second.status, second.errors) == (JobStatus.CHECKED, 0)


def test_a_required_field_unmapped_and_a_status_left_unmapped_are_messages(signed_in):
    job = ImportJob.objects.get(pk=int(upload(signed_in)["Location"].split("/")[2]))
    columns = {**COLUMNS, "Opened on": ""}
    statuses = {**VALUES, "status": {"Open": "in_progress", "Done": "resolved",
                                     "Waiting on customer": ""}}  # fmt: skip
    answer = signed_in.post(f"/imports/{job.pk}/mapping/", {
        **form_data(columns=columns, values=statuses), "save": "1"})  # fmt: skip
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Choose the column that gives each required field: Opened." in page
    assert "Choose ours for every value of the file: “Waiting on customer”." in page
    assert not ImportMapping.objects.exists()
    job.refresh_from_db()
    assert job.status == JobStatus.WAITING and job.mapping is None


def test_two_columns_for_one_field_a_taken_name_and_a_bad_source_are_messages(signed_in, admin):
    ImportMapping.objects.create(name="Old tool", format="csv")
    job = ImportJob.objects.get(pk=int(upload(signed_in)["Location"].split("/")[2]))
    columns = {**COLUMNS, "Colour": "title"}
    page = signed_in.post(f"/imports/{job.pk}/mapping/", {
        **form_data(columns=columns, source="not a slug!"), "save": "1"}).content.decode()  # fmt: skip
    assert "Title is fed by more than one column: Summary, Colour." in page
    assert "A mapping named “Old tool” exists" in page
    assert "A source is one word of letters, digits, - and _" in page
    assert ImportMapping.objects.count() == 1


def test_a_status_column_changed_without_redrawing_still_needs_its_values(signed_in):
    """The values are read from the file for the column chosen, not from what the page sent."""
    job = ImportJob.objects.get(pk=int(upload(signed_in)["Location"].split("/")[2]))
    columns = {**COLUMNS, "State": "", "Colour": "status"}
    page = signed_in.post(f"/imports/{job.pk}/mapping/", {
        **form_data(columns=columns), "save": "1"}).content.decode()  # fmt: skip
    assert "“red”, “blue”, “green”" in page and not ImportMapping.objects.exists()


def test_only_a_waiting_dry_run_is_mapped(signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            signed_in,
            b"number,status,opened_at,impact,urgency\n1,new,2026-03-02 09:00:00,low,low\n",
        )
    job = ImportJob.objects.get()
    assert job.status == JobStatus.CHECKED
    assert signed_in.get(f"/imports/{job.pk}/mapping/").status_code == 404


def test_agents_may_not_map(client, admin):
    from accounts.roles import Role
    from tests.factories import UserFactory

    client.force_login(admin)
    job = ImportJob.objects.get(pk=int(upload(client)["Location"].split("/")[2]))
    client.force_login(UserFactory(role=Role.AGENT))
    assert client.get(f"/imports/{job.pk}/mapping/").status_code == 403


def test_a_json_lines_file_with_other_keys_is_mapped_the_same_way(
    signed_in, django_capture_on_commit_callbacks
):
    data = (
        b'{"id": "J-1", "state": "Open", "opened": "2026-03-02 09:00:00", "sev": "Major",'
        b' "urg": "Soon", "summary": "Printer jams"}\n'
        b'{"id": "J-2", "state": "Done", "opened": "2026-03-02 10:00:00", "sev": "Minor",'
        b' "urg": "Later", "summary": "VPN down"}\n'
    )
    answer = signed_in.post("/imports/", {
        "file": SimpleUploadedFile("oldtool.jsonl", data), "format": "jsonl", "mode": "all",
        "batch_size": 1000, "sla_mode": "keep", "time_zone": "UTC",
    })  # fmt: skip
    job = ImportJob.objects.get()
    assert answer["Location"] == f"/imports/{job.pk}/mapping/"
    assert "Printer jams" in signed_in.get(answer["Location"]).content.decode()
    columns = {"id": "number", "state": "status", "opened": "opened_at", "sev": "impact",
               "urg": "urgency", "summary": "title"}  # fmt: skip
    values = {"status": {"Open": "new", "Done": "resolved"}, "impact": {"Major": "1", "Minor": "3"},
              "urgency": {"Soon": "1", "Later": "3"}}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/imports/{job.pk}/mapping/", {
            **form_data(columns=columns, values=values, name="JSON tool"), "save": "1"})  # fmt: skip
    job.refresh_from_db()
    assert (job.status, job.errors, job.records_total) == (JobStatus.CHECKED, 0, 2), list(
        job.issues.values_list("message", flat=True)
    )
