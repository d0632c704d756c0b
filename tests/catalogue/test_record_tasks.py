"""Tasks on any record: an incident's, a change's; their queue, page, panel, API and refusals."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue import services
from catalogue.models import FulfilmentTask, TaskStatus
from catalogue.selectors import task_queue
from incidents.models import Incident
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import AuditEvent
from tests.changes.factories import raise_change
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident, incident_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    agent = AgentFactory(full_name="Tara Tasker")
    other = AgentFactory(full_name="Omid Other")
    group = SupportGroupFactory(name="Network team", members=[agent, other])
    record = incident(actor=agent, support_group=group)
    return agent, other, group, record


def add(record, actor, **fields):
    fields.setdefault("title", "Replace the switch")
    with transaction.atomic():
        return services.task_add(parent=record, actor=actor, **fields)


def test_a_task_on_an_incident_points_at_it_and_is_audited_on_both(team):
    agent, other, group, record = team
    due = timezone.now() + timedelta(hours=4)
    task = add(record, agent, support_group=group, assignee=other, due_at=due)
    task.refresh_from_db()
    assert task.number.startswith("TSK")
    assert task.parent == record and task.parent_number == record.number
    assert task.request is None and task.due_at == due
    assert (task.support_group, task.assignee, task.status) == (group, other, TaskStatus.OPEN)
    parent_event = AuditEvent.objects.get(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk,
        field="task",
    )  # fmt: skip
    assert parent_event.new_text == task.number and not parent_event.public
    assert parent_event.actor == agent
    assert task.parent_url == f"/incidents/{record.number}/"


def test_an_agent_alone_gets_their_group_and_nobody_is_refused(team):
    agent, other, group, record = team
    task = add(record, agent, assignee=other)
    assert task.support_group == group
    with pytest.raises(ValidationError) as refused:
        add(record, agent)
    assert "support_group" in refused.value.message_dict
    assert FulfilmentTask.objects.filter(parent_id=record.pk).count() == 1


def test_bad_input_names_the_field_and_saves_nothing(team):
    agent, other, group, record = team
    outsider = AgentFactory()
    SupportGroupFactory(members=[outsider])
    with pytest.raises(ValidationError) as refused:
        add(record, agent, title=" ", support_group=group, assignee=outsider,
            due_at=timezone.now() - timedelta(minutes=1))  # fmt: skip
    assert set(refused.value.message_dict) == {"title", "assignee", "due_at"}
    assert not FulfilmentTask.objects.exists()


def test_end_users_cannot_add_tasks_and_finished_records_take_none(team, end_user):
    agent, other, group, record = team
    with pytest.raises(PermissionDenied):
        add(record, end_user, support_group=group)
    closed = incident_in("cancelled", agent=agent)
    with pytest.raises(TransitionNotAllowed):
        add(closed, agent, support_group=group)


def test_working_an_incident_task_leaves_the_incident_as_it_is(team):
    agent, other, group, record = team
    task = add(record, agent, support_group=group)
    with transaction.atomic():
        services.task_transition(task_id=task.pk, actor=other, target=TaskStatus.IN_PROGRESS)
    with transaction.atomic():
        services.task_transition(task_id=task.pk, actor=other, target=TaskStatus.DONE)
    before = record.status
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.assignee == other
    assert task.completed_at is not None
    record.refresh_from_db()
    assert record.status == before == "new"  # nothing moves the incident behind the agent's back


def test_the_overdue_queue_holds_open_tasks_past_their_due_time(team, time_machine):
    agent, other, group, record = team
    late = add(record, agent, support_group=group, due_at=timezone.now() + timedelta(hours=1))
    later = add(record, agent, support_group=group, due_at=timezone.now() + timedelta(days=2))
    done = add(record, agent, support_group=group, due_at=timezone.now() + timedelta(hours=1))
    with transaction.atomic():
        services.task_transition(task_id=done.pk, actor=agent, target=TaskStatus.DONE)
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    overdue = list(task_queue(user=agent, queue="overdue"))
    assert overdue == [late]
    assert later not in overdue
    assert late.is_overdue() and not later.is_overdue()


def test_a_change_gets_tasks_for_its_implementers():
    owner = AgentFactory(full_name="Omar Owner")
    group = SupportGroupFactory(name="Database team", members=[owner])
    change = raise_change(owner, support_group=group)
    task = add(change, owner, title="Run the migration", support_group=group)
    assert task.parent == change and task.parent_url == f"/changes/{change.number}/"
    assert list(task_queue(user=owner, queue="groups")) == [task]


def test_the_incident_page_lists_its_tasks_and_adds_one(team, client):
    agent, other, group, record = team
    add(record, agent, title="Check the uplink", support_group=group)
    client.force_login(agent)
    page = client.get(f"/incidents/{record.number}/").content.decode()
    card_url = f"/catalogue/records/{record.number}/tasks/card/"
    assert 'id="record-tasks"' in page and card_url in page  # loaded after the page
    card = client.get(card_url).content.decode()
    assert "Check the uplink" in card
    assert f"/catalogue/records/{record.number}/tasks/new/" in card
    refused = client.post(f"/catalogue/records/{record.number}/tasks/new/", {"title": "x"})
    assert refused.status_code == 400
    assert "Choose a support group or an agent." in refused.content.decode()
    response = client.post(
        f"/catalogue/records/{record.number}/tasks/new/",
        {"title": "Swap the cable", "support_group": group.pk, "assignee": other.pk,
         "due_at": (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    assert response.status_code == 302 and response.url == f"/incidents/{record.number}/"
    task = FulfilmentTask.objects.get(title="Swap the cable")
    assert task.assignee == other and task.due_at is not None
    page = client.get(task.get_absolute_url()).content.decode()
    assert 'data-test="task-parent"' in page and record.number in page


def test_the_change_page_shows_and_adds_tasks(client):
    owner = AgentFactory()
    group = SupportGroupFactory(members=[owner])
    change = raise_change(owner, support_group=group)
    client.force_login(owner)
    page = client.get(f"/changes/{change.number}/").content.decode()
    card_url = f"/catalogue/records/{change.number}/tasks/card/"
    assert 'id="record-tasks"' in page and card_url in page
    client.post(
        f"/catalogue/records/{change.number}/tasks/new/",
        {"title": "Back up the database", "support_group": group.pk},
    )
    assert "Back up the database" in client.get(card_url).content.decode()


def test_the_tasks_card_is_staffs_and_a_tasks_own_page_has_none(team, client, end_user):
    agent, other, group, record = team
    task = add(record, agent, support_group=group)
    client.force_login(agent)
    assert "tasks/card/" not in client.get(task.get_absolute_url()).content.decode()
    client.force_login(end_user)
    hidden = client.get(f"/catalogue/records/{record.number}/tasks/card/")
    assert hidden.status_code in (403, 404)


def test_the_api_adds_lists_and_works_a_record_task(team, end_user):
    agent, other, group, record = team
    api = APIClient()
    api.force_authenticate(agent)
    bad = api.post("/api/v1/tasks/", {"parent": "INC9999999", "title": "x"}, format="json")
    assert bad.status_code == 400 and "parent" in bad.json()["errors"]
    strict = api.post(
        "/api/v1/tasks/",
        {"parent": record.number, "title": "x", "support_group": group.pk, "status": "done"},
        format="json",
    )
    assert strict.status_code == 400 and "status" in strict.json()["errors"]
    created = api.post(
        "/api/v1/tasks/",
        {"parent": record.number, "title": "Call the supplier", "support_group": group.pk,
         "due_at": (timezone.now() + timedelta(hours=3)).isoformat()},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["parent"] == {"type": "incident", "number": record.number}
    assert body["request"] is None and body["due_at"]
    listed = api.get("/api/v1/tasks/", {"parent": record.number}).json()["results"]
    assert [row["number"] for row in listed] == [body["number"]]
    started = api.post(f"/api/v1/tasks/{body['number']}/start/", {}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    outsider = APIClient()
    outsider.force_authenticate(end_user)
    refused = outsider.post(
        "/api/v1/tasks/", {"parent": record.number, "title": "x"}, format="json"
    )
    assert refused.status_code == 403
    assert outsider.get(f"/api/v1/tasks/{body['number']}/").status_code == 404


def test_the_group_is_told_of_a_new_record_task_with_its_record_and_due_time(team, settings):
    from django.core import mail

    from servicedesk.notifications import deliver_pending

    agent, other, group, record = team
    group.email = "network@example.com"
    group.save(update_fields=["email"])
    task = add(record, agent, support_group=group, due_at=timezone.now() + timedelta(days=1))
    deliver_pending()
    sent = [m for m in mail.outbox if task.number in m.subject]
    assert len(sent) == 1
    assert "A task for your team" in sent[0].subject and "fulfilment" not in sent[0].subject
    assert f"For {record.number}:" in sent[0].body and "Due " in sent[0].body
