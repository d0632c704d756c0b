"""Time on records: typed with a reply or work note (saved with the comment, or neither),
logged on its own, totals on the record, the audit row, who may log and see it, the API and
the exports."""

import csv
import datetime
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from servicedesk.models import AuditEvent, Comment
from tests.factories import OrganisationFactory, UserFactory
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident
from timekeeping import selectors, services
from timekeeping.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    agent = AgentFactory(full_name="Arash Agent")
    group = SupportGroupFactory(members=[agent], name="Network")
    org = OrganisationFactory(name="Northwind")
    record = incident(actor=agent, support_group=group, organisation=org)
    return agent, group, org, record


def _comments(record):
    ct = ContentType.objects.get_for_model(record)
    return Comment.objects.filter(content_type=ct, object_id=record.pk)


def test_time_typed_with_a_work_note_is_saved_with_it(client, world):
    agent, group, org, record = world
    client.force_login(agent)
    answer = client.post(
        f"/incidents/{record.number}/comment/",
        {"body": "Checked the switch", "visibility": "internal", "time-minutes": "25",
         "time-billable": "on"},
    )  # fmt: skip
    assert answer.status_code == 302
    entry = TimeEntry.objects.get()
    comment = _comments(record).get()
    assert (entry.minutes, entry.billable, entry.comment_id) == (25, True, comment.pk)
    assert (entry.agent, entry.support_group, entry.organisation) == (agent, group, org)
    assert entry.number == record.number and entry.worked_on == timezone.localdate()
    event = AuditEvent.objects.get(field="time_spent")
    assert (event.old_value, event.new_value, event.public) == (0, 25, False)
    assert event.new_text == "25 min" and "billable" in event.note
    page = client.get(f"/incidents/{record.number}/")
    assert selectors.record_totals(record)["total"] == 25
    assert b'data-test="time-total">25 min<' in page.content


def test_a_reply_without_time_logs_none(client, world):
    agent, _group, _org, record = world
    client.force_login(agent)
    client.post(f"/incidents/{record.number}/comment/", {"body": "Hi", "visibility": "public",
                                                         "time-minutes": ""})  # fmt: skip
    assert _comments(record).count() == 1 and not TimeEntry.objects.exists()


def test_bad_minutes_refuse_the_comment_too(client, world):
    agent, _group, _org, record = world
    client.force_login(agent)
    answer = client.post(
        f"/incidents/{record.number}/comment/",
        {"body": "Checked", "visibility": "internal", "time-minutes": "5000"},
    )
    assert answer.status_code == 400
    assert not _comments(record).exists() and not TimeEntry.objects.exists()
    assert "1440" in answer.content.decode()  # the field's message, shown on the form


def test_a_refused_entry_undoes_the_comment(client, world, monkeypatch):
    agent, _group, _org, record = world
    client.force_login(agent)

    def refuse(**kwargs):
        raise ValidationError({"minutes": ["Refused."]})

    monkeypatch.setattr("timekeeping.forms.services.time_entry_add", refuse)
    answer = client.post(
        f"/incidents/{record.number}/comment/",
        {"body": "Checked", "visibility": "internal", "time-minutes": "10"},
    )
    assert answer.status_code == 400
    assert not _comments(record).exists() and not TimeEntry.objects.exists()


def test_every_record_types_comment_box_takes_time(client):
    """Requests, tasks, problems and changes: the same box, the same fields, one transaction."""
    from django.urls import reverse

    from catalogue import services as catalogue_services
    from servicedesk.registry import for_model
    from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup_without_approval
    from tests.changes.factories import people, raise_change
    from tests.problems.factories import problem

    world = laptop_setup_without_approval()
    request = catalogue_services.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )
    task = request.tasks.order_by("order").first()
    _manager, owner, _cab = people()
    records = [
        (world.agent, request, "public"),
        (world.tech, task, "internal"),
        (world.agent, problem(actor=world.agent), "internal"),
        (owner, raise_change(owner), "internal"),
    ]
    for actor, record, visibility in records:
        client.force_login(actor)
        page = reverse(for_model(type(record)).detail_url_name, args=[record.number])
        problem_page = type(record).__name__ == "Problem"
        target = f"/problems/{record.number}/comment/" if problem_page else page
        client.get(page)
        answer = client.post(
            target, {"body": "Worked on it", "visibility": visibility, "time-minutes": "12"}
        )
        assert answer.status_code == 302, (record.number, answer.status_code)
        entry = TimeEntry.objects.get(number=record.number)
        assert entry.minutes == 12 and entry.comment is not None, record.number
        assert entry.comment.object_id == record.pk
        refused = client.post(
            target, {"body": "Again", "visibility": visibility, "time-minutes": "-3"}
        )
        assert refused.status_code in (200, 400), record.number
        assert _comments(record).count() == 1, record.number
    assert TimeEntry.objects.count() == 4


def test_logging_on_its_own_from_the_record_page(client, world):
    agent, _group, _org, record = world
    client.force_login(agent)
    answer = client.post(
        f"/time/records/{record.number}/log/",
        {"minutes": "90", "worked_on": "2026-01-31", "note": "On site"},
    )
    assert answer.status_code == 302 and answer.url == f"/incidents/{record.number}/"
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.billable, entry.worked_on, entry.comment) == (
        90, False, datetime.date(2026, 1, 31), None,
    )  # fmt: skip
    bad = client.post(f"/time/records/{record.number}/log/", {"minutes": "0"}, follow=True)
    assert TimeEntry.objects.count() == 1
    assert "The time was not logged" in bad.content.decode()


def test_end_users_and_hidden_records(client, world):
    agent, _group, _org, record = world
    end_user = UserFactory(role=Role.END_USER)
    client.force_login(end_user)
    assert client.post(f"/time/records/{record.number}/log/", {"minutes": "5"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.time_entry_add(record=record, actor=end_user, minutes=5)
    client.force_login(agent)
    assert client.post("/time/records/INC9999999/log/", {"minutes": "5"}).status_code == 404
    assert not TimeEntry.objects.exists()


def test_totals_per_agent(world):
    agent, group, _org, record = world
    other = AgentFactory(full_name="Bita Other")
    group.members.add(other)
    services.time_entry_add(record=record, actor=agent, minutes=30, billable=True)
    services.time_entry_add(record=record, actor=agent, minutes=15)
    services.time_entry_add(record=record, actor=other, minutes=60, billable=True)
    totals = selectors.record_totals(record)
    assert (totals["total"], totals["billable"]) == (105, 90)
    assert totals["per_agent"] == [
        {"name": "Bita Other", "minutes": 60, "billable": 60},
        {"name": "Arash Agent", "minutes": 45, "billable": 30},
    ]


def test_the_service_checks_its_fields(world):
    agent, *_rest, record = world
    with pytest.raises(ValidationError) as refused:
        services.time_entry_add(record=record, actor=agent, minutes=0)
    assert "minutes" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.time_entry_add(
            record=record, actor=agent, minutes=5,
            worked_on=timezone.localdate() + datetime.timedelta(days=3),
        )  # fmt: skip
    assert "worked_on" in refused.value.message_dict
    assert not TimeEntry.objects.exists()


def test_api_lists_and_logs(client, world):
    agent, _group, _org, record = world
    client.force_login(agent)
    made = client.post(
        "/api/v1/time-entries/",
        {"record": record.number, "minutes": 20, "billable": True, "worked_on": "2026-02-01"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["minutes"] == 20 and made.json()["record"] == record.number
    listed = client.get(f"/api/v1/time-entries/?record={record.number}&date_from=2026-02-01")
    assert [row["minutes"] for row in listed.json()["results"]] == [20]
    assert client.get("/api/v1/time-entries/?date_to=2026-01-31").json()["results"] == []
    bad = client.post("/api/v1/time-entries/", {"record": record.number, "minutes": 0},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "minutes" in bad.json()["errors"]
    unknown = client.post("/api/v1/time-entries/", {"record": record.number, "minutes": 5,
                          "agent": 1}, content_type="application/json")  # fmt: skip
    assert unknown.status_code == 400 and "agent" in unknown.json()["errors"]
    assert client.get("/api/v1/time-entries/?recrod=x").status_code == 400
    assert client.get("/api/v1/time-entries/?record=INC9999999").status_code == 404
    missing = client.post("/api/v1/time-entries/", {"record": "INC9999999", "minutes": 5},
                          content_type="application/json")  # fmt: skip
    assert missing.status_code == 404
    totals = client.get(f"/api/v1/time-entries/totals/?record={record.number}").json()
    assert (totals["total"], totals["billable"], totals["per_agent"][0]["minutes"]) == (20, 20, 20)
    assert client.get("/api/v1/time-entries/totals/?record=INC9999999").status_code == 404
    client.force_login(UserFactory(role=Role.END_USER))
    assert client.get("/api/v1/time-entries/").status_code == 403
    assert client.get(f"/api/v1/time-entries/totals/?record={record.number}").status_code == 403
    assert TimeEntry.objects.count() == 1


def test_an_agent_lists_their_own_a_manager_everyones(client, world):
    agent, group, _org, record = world
    other = AgentFactory()
    group.members.add(other)
    services.time_entry_add(record=record, actor=agent, minutes=5)
    services.time_entry_add(record=record, actor=other, minutes=7)
    client.force_login(other)
    assert [r["minutes"] for r in client.get("/api/v1/time-entries/").json()["results"]] == [7]
    client.force_login(UserFactory(role=Role.DESK_MANAGER))
    assert len(client.get("/api/v1/time-entries/").json()["results"]) == 2


def test_exports_carry_the_time(client, world):
    agent, _group, _org, record = world
    services.time_entry_add(record=record, actor=agent, minutes=90, billable=True)
    services.time_entry_add(record=record, actor=agent, minutes=30)
    client.force_login(agent)
    answer = client.get("/imports/export/incident/")
    header, row = csv.reader(b"".join(answer.streaming_content).decode().strip().splitlines())
    # Other apps add their columns too (tags, custom fields): found by name.
    spent = header.index("Time spent (hours)")
    assert header[spent + 1] == "Billable time (hours)"
    assert row[spent : spent + 2] == ["2.00", "1.50"]


def test_the_record_page_stays_within_its_queries(client, world, django_assert_max_num_queries):
    agent, _group, _org, record = world
    services.time_entry_add(record=record, actor=agent, minutes=5)
    client.force_login(agent)
    client.get(f"/incidents/{record.number}/")
    with django_assert_max_num_queries(40):
        page = client.get(f"/incidents/{record.number}/")
    assert b'id="time-tracking"' in page.content and b'name="time-minutes"' in page.content
    json.dumps(selectors.record_totals(record))
