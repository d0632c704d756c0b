"""Editing the priority data: a matrix edit re-prioritises the open incidents (a task after the
commit, each change on the incident's timeline, its SLA timers re-targeted as a priority change
does), with the broker down too; a level still in use cannot be deleted.

Own calendar (Monday to Friday 09:00-18:00 UTC) and policies; `at(day, hour)` is March 2025.
"""

from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from incidents import priority_data
from incidents.choices import IncidentStatus
from incidents.models import Incident, PendingReprioritisation, PriorityLevel, PriorityMatrixCell
from incidents.tasks import reprioritise_pending_task
from servicedesk.actors import system_actor
from servicedesk.exceptions import ApplicationError
from servicedesk.models import AuditEvent
from sla.models import Metric
from tests.factories import UserFactory
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident, incident_in
from tests.sla.factories import at, calendar_5x9, policy, switch_off_defaults, timer

pytestmark = pytest.mark.django_db

RES = Metric.RESOLUTION
MEDIUM = {"impact": "medium", "urgency": "medium"}  # P3 in the seeded matrix


@pytest.fixture
def clock():
    with time_machine.travel(at(3, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(db, clock):
    switch_off_defaults()
    agent = AgentFactory(full_name="Arash Agent")
    calendar = calendar_5x9()
    return SimpleNamespace(
        agent=agent,
        admin=UserFactory(is_staff=True, is_superuser=True, full_name="Ada Admin"),
        group=SupportGroupFactory(name="Service Desk", members=[agent]),
        standard=policy("Standard", calendar=calendar, resolution=480),
        urgent=policy("Urgent", calendar=calendar, priority=1, precedence=10, resolution=120),
    )


def log(desk, clock, when, **fields):
    clock.move_to(when)
    return incident(actor=desk.agent, support_group=desk.group, **{**MEDIUM, **fields})


def medium_cell():
    return PriorityMatrixCell.objects.get(**MEDIUM)


def priority_events(record):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=record.pk,
        field="priority",
    )


class TestMatrixEdit:
    def test_the_admin_edit_reprioritises_open_incidents_audited_and_retargeted(
        self, desk, clock, client, django_capture_on_commit_callbacks
    ):
        open_one = log(desk, clock, at(3, 10))
        resolved = incident_in(IncidentStatus.RESOLVED, agent=desk.agent, **MEDIUM)
        low = log(desk, clock, at(3, 10), impact="low", urgency="low")
        assert (open_one.priority, timer(open_one, RES).due_at) == (3, at(3, 18))
        clock.move_to(at(3, 10, 30))
        client.force_login(desk.admin)
        cell = medium_cell()

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/admin/incidents/prioritymatrixcell/{cell.pk}/change/",
                {**MEDIUM, "priority": 1, "_save": "Save"},
            )

        assert response.status_code == 302
        open_one.refresh_from_db()
        assert open_one.priority == 1
        (event,) = priority_events(open_one)
        assert (event.actor, event.old_value, event.new_value) == (desk.admin, 3, 1)
        moved = timer(open_one, RES)  # the P1 policy applies, counted from 10:00
        assert (moved.policy, moved.due_at) == (desk.urgent, at(3, 12))
        assert Incident.objects.get(pk=resolved.pk).priority == 3
        assert not priority_events(resolved).exists()
        assert Incident.objects.get(pk=low.pk).priority == 5
        assert not PendingReprioritisation.objects.exists()

    def test_with_the_broker_down_the_edit_commits_and_the_beat_catches_up(
        self, desk, clock, broker_down, django_capture_on_commit_callbacks
    ):
        record = log(desk, clock, at(3, 10))
        cell = medium_cell()
        cell.priority_id = 1
        with django_capture_on_commit_callbacks(execute=True):
            priority_data.priority_cell_save(cell=cell, actor=desk.admin)
        assert medium_cell().priority_id == 1
        assert Incident.objects.get(pk=record.pk).priority == 3  # the task never ran
        assert PendingReprioritisation.objects.get().requested_by == desk.admin

        assert reprioritise_pending_task() == 1

        assert Incident.objects.get(pk=record.pk).priority == 1
        assert timer(record, RES).policy == desk.urgent
        assert priority_events(record).get().actor == desk.admin
        assert not PendingReprioritisation.objects.exists()

    def test_two_edits_before_the_run_are_one_request(self, desk):
        with transaction.atomic():
            first = priority_data.reprioritise_request(actor=desk.admin)
            second = priority_data.reprioritise_request(actor=None)
        assert first == second
        assert PendingReprioritisation.objects.count() == 1

    def test_a_run_goes_through_every_batch_and_touches_only_what_changed(self, desk, clock):
        records = [log(desk, clock, at(3, 10)) for _ in range(5)]
        PriorityMatrixCell.objects.filter(**MEDIUM).update(priority_id=2)

        assert priority_data.incidents_reprioritise(actor=system_actor(), batch_size=2) == 5
        assert set(Incident.objects.filter(pk__in=[r.pk for r in records]).values_list(
            "priority", flat=True)) == {2}  # fmt: skip
        assert {priority_events(r).get().actor for r in records} == {system_actor()}
        assert priority_data.incidents_reprioritise(actor=system_actor(), batch_size=2) == 0


class TestLevels:
    def test_a_level_in_use_is_kept_with_a_clear_message(self, desk, clock):
        log(desk, clock, at(3, 10))
        PriorityMatrixCell.objects.filter(priority_id=3).update(priority_id=2)
        level = PriorityLevel.objects.get(level=3)

        with pytest.raises(ApplicationError) as refused, transaction.atomic():
            priority_data.priority_level_delete(level=level, actor=desk.admin)

        assert refused.value.status_code == 409
        message = str(refused.value.message)
        assert message.startswith("P3 Medium is still used by 1 incident, ")  # and SLA policies
        assert message.endswith("; it cannot be deleted.")
        assert PriorityLevel.objects.filter(level=3).exists()

    def test_the_admin_refuses_the_delete_and_lists_the_uses(self, desk, clock, client):
        log(desk, clock, at(3, 10))
        level = PriorityLevel.objects.get(level=3)
        client.force_login(desk.admin)
        url = f"/admin/incidents/prioritylevel/{level.pk}/delete/"

        page = client.get(url).content.decode()
        response = client.post(url, {"post": "yes"})

        assert "P3 Medium: 1 incident" in page
        assert "2 cells of the priority matrix" in page
        assert response.status_code == 200  # the same refusal, nothing deleted
        assert PriorityLevel.objects.filter(level=3).exists()

    def test_an_unused_level_is_deleted(self, desk):
        spare = PriorityLevel.objects.create(level=9, name="Spare")
        with transaction.atomic():
            priority_data.priority_level_delete(level=spare, actor=desk.admin)
        assert not PriorityLevel.objects.filter(level=9).exists()

    def test_a_level_keeps_its_number(self, desk, client):
        level = PriorityLevel.objects.get(level=5)
        level.level = 6
        with pytest.raises(ApplicationError, match="keeps its number"), transaction.atomic():
            priority_data.priority_level_save(level=level, actor=desk.admin)
        client.force_login(desk.admin)
        page = client.get(f"/admin/incidents/prioritylevel/{level.pk}/change/").content.decode()
        assert 'name="level"' not in page
