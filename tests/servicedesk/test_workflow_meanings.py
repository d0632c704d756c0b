"""The workflow is the only state rule: every record model declares its `WORKFLOW`, each state's
meaning (open, paused, resolved, cancelled) is data the SLA engine and the dashboards read, the
services' own consequential moves are declared (`automatic`), and the database refuses a status
its workflow does not know."""

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction

from catalogue.models import FulfilmentTask, RequestStatus, ServiceRequest, TaskStatus
from catalogue.workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from cmdb.models import ConfigurationItem
from cmdb.workflow import CI_WORKFLOW
from dashboards.facts import sources
from incidents import services
from incidents.choices import OPEN_STATUSES, IncidentStatus
from incidents.models import Incident
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import AuditEvent, AuditKind
from servicedesk.workflow import Meaning, Workflow
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

S = IncidentStatus


def test_every_record_model_declares_its_workflow_and_a_status_constraint_from_it():
    for model, workflow in (
        (Incident, INCIDENT_WORKFLOW),
        (ServiceRequest, REQUEST_WORKFLOW),
        (FulfilmentTask, TASK_WORKFLOW),
        (ConfigurationItem, CI_WORKFLOW),
    ):
        assert model.WORKFLOW is workflow
        assert set(workflow.states) == {value for value, _label in model._meta.get_field(
            "status").choices}  # fmt: skip
        checks = [c for c in model._meta.constraints if "status" in str(c.condition)]
        assert checks, model
        assert any(set(dict(c.condition.children)["status__in"]) == set(workflow.states)
                   for c in checks)  # fmt: skip


def test_states_carry_their_meaning():
    meaning = INCIDENT_WORKFLOW.meaning
    assert [meaning(s) for s in INCIDENT_WORKFLOW.states] == [
        Meaning.OPEN, Meaning.OPEN, Meaning.OPEN, Meaning.PAUSED,
        Meaning.RESOLVED, Meaning.RESOLVED, Meaning.CANCELLED,
    ]  # fmt: skip
    assert INCIDENT_WORKFLOW.open_states == list(OPEN_STATUSES)
    assert REQUEST_WORKFLOW.meaning(RequestStatus.AWAITING_APPROVAL) == Meaning.PAUSED
    assert REQUEST_WORKFLOW.states_meaning(Meaning.CANCELLED) == ["rejected", "cancelled"]
    assert REQUEST_WORKFLOW.states_meaning(Meaning.RESOLVED) == ["closed"]
    assert TASK_WORKFLOW.meaning(TaskStatus.DONE) == Meaning.RESOLVED
    assert TASK_WORKFLOW.meaning(TaskStatus.WAITING) == Meaning.OPEN


def test_the_dashboards_read_open_and_done_statuses_from_the_workflow():
    incident_source, request_source = sources()["incident"], sources()["request"]
    assert incident_source.open_statuses == ("new", "assigned", "in_progress", "pending")
    assert incident_source.done_statuses == ("resolved", "closed")
    assert request_source.open_statuses == ("new", "awaiting_approval", "in_fulfilment")
    assert request_source.done_statuses == ("closed",)


def test_a_final_state_not_declared_otherwise_is_resolved_and_bad_meanings_are_refused():
    flow = Workflow(initial="a", transitions={"a": ["b", "c"], "b": [], "c": []}, cancelled=["c"])
    assert (flow.meaning("a"), flow.meaning("b"), flow.meaning("c")) == (
        Meaning.OPEN, Meaning.RESOLVED, Meaning.CANCELLED,
    )  # fmt: skip
    with pytest.raises(ValueError, match="not declared"):
        Workflow(initial="a", transitions={"a": []}, paused=["z"])
    with pytest.raises(ValueError, match="both"):
        Workflow(initial="a", transitions={"a": ["b"], "b": []}, paused=["b"], resolved=["b"])
    with pytest.raises(ValueError, match="undeclared"):
        Workflow(initial="a", transitions={"a": []}, automatic={"a": ["z"]})


def test_automatic_moves_are_checked_but_never_offered():
    held = SimpleNamespace(status=S.ASSIGNED, assignee_id=None, pending_reason="")
    assert S.NEW not in INCIDENT_WORKFLOW.allowed_targets(S.ASSIGNED)
    with pytest.raises(TransitionNotAllowed):
        INCIDENT_WORKFLOW.check(record=held, source=S.ASSIGNED, target=S.NEW)
    INCIDENT_WORKFLOW.check(record=held, source=S.ASSIGNED, target=S.NEW, automatic=True)
    with pytest.raises(TransitionNotAllowed):
        INCIDENT_WORKFLOW.check(record=held, source=S.PENDING, target=S.ASSIGNED, automatic=True)


@pytest.mark.django_db
class TestIncidentBackToTheQueue:
    def test_unassigning_is_the_workflows_automatic_move_with_one_audit_row(self):
        agent = AgentFactory()
        group = SupportGroupFactory(members=[agent])
        subject = incident(actor=agent, support_group=group, assignee=agent)
        assert subject.status == S.ASSIGNED
        version = Incident.objects.get(pk=subject.pk).version

        services.incident_assign(
            incident_id=subject.pk, actor=agent, support_group=group, assignee=None
        )

        stored = Incident.objects.get(pk=subject.pk)
        assert (stored.status, stored.assignee) == (S.NEW, None)
        assert stored.version > version
        moves = AuditEvent.objects.filter(object_id=subject.pk, kind=AuditKind.STATUS_CHANGED)
        assert [(e.old_value, e.new_value, e.actor_id) for e in moves] == [
            (S.ASSIGNED, S.NEW, agent.pk)
        ]

    def test_an_agent_cannot_choose_new_for_an_assigned_incident(self):
        agent = AgentFactory()
        group = SupportGroupFactory(members=[agent])
        subject = incident(actor=agent, support_group=group, assignee=agent)

        with pytest.raises(TransitionNotAllowed):
            services.incident_transition(incident_id=subject.pk, actor=agent, target=S.NEW)

        assert Incident.objects.get(pk=subject.pk).status == S.ASSIGNED


@pytest.mark.django_db
def test_the_database_refuses_a_status_outside_the_workflow():
    agent = AgentFactory()
    subject = incident(actor=agent, support_group=SupportGroupFactory(members=[agent]))
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=subject.pk).update(status="lost")
    world = laptop_setup()
    world.item.approval_rule = "none"
    world.item.save()
    from catalogue import services as catalogue

    record = catalogue.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(pk=record.pk).update(status="pending")
    with pytest.raises(IntegrityError), transaction.atomic():
        FulfilmentTask.objects.filter(request=record).update(status="finished")
