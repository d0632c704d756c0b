"""The timeline of requests and tasks: approvals asked and decided, a task given to whoever
starts it, and the request automation named as the system actor."""

import pytest

from catalogue import services
from catalogue.models import RequestStatus, TaskStatus
from servicedesk.actors import system_actor
from servicedesk.models import AuditEvent, AuditKind
from servicedesk.selectors import record_timeline
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup

S, T = RequestStatus, TaskStatus


@pytest.fixture
def world(db):
    return laptop_setup()


def order(world):
    return services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)


def events_on(record, **filters):
    return list(
        AuditEvent.objects.filter(
            content_type__model=record._meta.model_name, object_id=record.pk, **filters
        ).order_by("pk")
    )


def approval_texts(record):
    return [(e.actor, e.new_text, e.note) for e in events_on(record, field="approval")]


def test_asking_for_approval_is_on_the_requests_timeline_as_the_system_actor(world):
    record = order(world)
    assert approval_texts(record) == [(system_actor(), "Approval asked of Omid Karimi", "")]
    (moved,) = events_on(record, kind=AuditKind.STATUS_CHANGED)
    assert (moved.new_value, moved.actor) == (S.AWAITING_APPROVAL, system_actor())
    shown = [e.item for e in record_timeline(record=record, user=world.requester)]
    assert events_on(record, field="approval")[0] in shown


def test_an_approval_is_on_the_timeline_and_fulfilment_starts_as_the_system_actor(world):
    record = order(world)
    services.approval_decide(
        approval_id=record.approvals.get().pk, actor=world.boss, approve=True, comment="Fine."
    )
    assert approval_texts(record)[1:] == [(world.boss, "Approved by Omid Karimi", "Fine.")]
    started = events_on(record, kind=AuditKind.STATUS_CHANGED, new_value=S.IN_FULFILMENT)
    assert [e.actor for e in started] == [system_actor()]
    for task in record.tasks.all():
        (created,) = events_on(task, kind=AuditKind.CREATED)
        assert created.actor == system_actor()


def test_a_rejection_is_on_the_timeline_with_its_reason(world):
    record = order(world)
    services.approval_decide(
        approval_id=record.approvals.get().pk, actor=world.boss, approve=False,
        comment="Budget is frozen.",
    )  # fmt: skip
    assert approval_texts(record)[1:] == [
        (world.boss, "Rejected by Omid Karimi", "Budget is frozen.")
    ]


def test_starting_an_unassigned_task_gives_it_to_the_actor_on_its_timeline(world):
    record = order(world)
    services.approval_decide(approval_id=record.approvals.get().pk, actor=world.boss, approve=True)
    task = record.tasks.get(order=10)
    assert task.assignee is None

    services.task_transition(task_id=task.pk, actor=world.tech, target=T.IN_PROGRESS)

    task.refresh_from_db()
    assert task.assignee == world.tech
    (assigned,) = events_on(task, kind=AuditKind.ASSIGNED)
    assert (assigned.field, assigned.new_value, assigned.actor) == (
        "assignee", world.tech.pk, world.tech
    )  # fmt: skip
    assert not assigned.public
    assert assigned in [e.item for e in record_timeline(record=task, user=world.agent)]


def test_finishing_a_task_opens_the_next_as_the_system_actor(world):
    record = order(world)
    services.approval_decide(approval_id=record.approvals.get().pk, actor=world.boss, approve=True)
    first, second = record.tasks.order_by("order")
    services.task_transition(task_id=first.pk, actor=world.tech, target=T.DONE)
    (opened,) = events_on(second, kind=AuditKind.STATUS_CHANGED)
    assert (opened.new_value, opened.actor) == (T.OPEN, system_actor())
