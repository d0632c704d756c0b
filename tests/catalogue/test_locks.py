"""The lock order (docs/architecture.md, "Lock order"): a request is locked before its tasks, so
two agents finishing the two parallel tasks of one request at the same moment never deadlock,
and the request is closed exactly once, by whichever finishes last."""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from catalogue import services
from catalogue.models import FulfilmentMode, RequestStatus, ServiceRequest, TaskStatus
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import AuditEvent, AuditKind, Notification
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup

S, T = RequestStatus, TaskStatus

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks (it locks the whole database, so it cannot deadlock on "
    "rows): run with DATABASE_URL=postgres://... for concurrent task finishing",
)

ROUNDS = 30


def parallel_world():
    world = laptop_setup()
    world.item.approval_rule = "none"
    world.item.fulfilment_mode = FulfilmentMode.PARALLEL
    world.item.save()
    return world


def closings(record) -> int:
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceRequest),
        object_id=record.pk,
        kind=AuditKind.STATUS_CHANGED,
        new_value=S.CLOSED,
    ).count()


def at_once(*calls) -> list[BaseException]:
    """Run each call in its own thread, all released at the same instant; their errors."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait(timeout=30)
            call()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hangs"
    return errors


def finish(task, actor):
    return lambda: services.task_transition(task_id=task.pk, actor=actor, target=T.DONE)


def close(record, actor):
    return lambda: services.request_close(request_id=record.pk, actor=actor, note="Done.")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_parallel_tasks_finished_at_once_close_the_request_once_without_deadlock():
    world = parallel_world()
    for _round in range(ROUNDS):
        record = services.request_create(
            actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
        )
        first, second = record.tasks.order_by("pk")
        assert {first.status, second.status} == {T.OPEN}

        errors = at_once(finish(first, world.tech), finish(second, world.agent))

        assert errors == []
        record.refresh_from_db()
        assert record.status == S.CLOSED and record.closed_at is not None
        assert set(record.tasks.values_list("status", flat=True)) == {T.DONE}
        assert closings(record) == 1
        assert Notification.objects.filter(object_id=record.pk, kind="closed").count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_closing_a_request_by_hand_while_its_task_is_finished_never_deadlocks():
    world = parallel_world()
    for _round in range(10):
        record = services.request_create(
            actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
        )
        first, _second = record.tasks.order_by("pk")
        errors = at_once(finish(first, world.tech), close(record, world.agent))

        # Whichever came second found the other's work done: closing first cancels the task,
        # which then cannot be finished (refused, not deadlocked).
        assert all(isinstance(error, TransitionNotAllowed) for error in errors), errors
        record.refresh_from_db()
        assert record.status == S.CLOSED
        assert closings(record) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_last_two_approvals_given_at_once_start_fulfilment_once():
    """Approvals lock the request, then their set, then its approvals in primary-key order: two
    members of a "group: all" approving at the same instant take turns, and the second one
    starts fulfilment, once."""
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    world = laptop_setup()
    group = Group.objects.create(name="Laptop approvers")
    members = [UserFactory(full_name=f"Approver {n}") for n in (1, 2)]
    group.user_set.add(*members)
    world.item.approval_rule = "group_all"
    world.item.approval_group = group
    world.item.save()
    for _round in range(10):
        record = services.request_create(
            actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
        )
        first, second = record.approvals.order_by("pk")
        errors = at_once(
            lambda a=first: services.approval_decide(
                approval_id=a.pk, actor=a.approver, approve=True
            ),
            lambda a=second: services.approval_decide(
                approval_id=a.pk, actor=a.approver, approve=True
            ),
        )
        assert errors == []
        record.refresh_from_db()
        assert record.status == S.IN_FULFILMENT
        started = AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(ServiceRequest),
            object_id=record.pk,
            kind=AuditKind.STATUS_CHANGED,
            new_value=S.IN_FULFILMENT,
        ).count()
        assert started == 1
        assert record.tasks.count() == 2
