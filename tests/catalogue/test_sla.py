"""Requests get SLA timers as incidents do: the offering's policy (or the matching request
policy), paused while approval waits when the policy lists "approval", met at closing,
cancelled by a rejection."""

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from catalogue import services
from catalogue.models import ServiceRequest, TaskStatus
from sla.models import Metric, SlaTimer, TimerState
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.sla.factories import at, calendar_5x9, policy, switch_off_defaults


@pytest.fixture
def world(db):
    switch_off_defaults()
    return laptop_setup()


def timers_of(record):
    return SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceRequest), object_id=record.pk
    )


def resolution(record) -> SlaTimer:
    return timers_of(record).get(metric=Metric.RESOLUTION)


def order(world):
    return services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)


def test_the_offerings_policy_applies_and_approval_time_does_not_count(world):
    offering_policy = policy(
        "Laptops", calendar=calendar_5x9(), first_response=None, resolution=480,
        record_type="request", pause_on=["approval"],
    )  # fmt: skip
    world.offering.sla_policy = offering_policy
    world.offering.save()

    with time_machine.travel(at(3, 9), tick=False):  # Monday 09:00
        record = order(world)
    assert resolution(record).state == TimerState.PAUSED
    with time_machine.travel(at(3, 13), tick=False):  # approved four hours later
        services.approval_decide(
            approval_id=record.approvals.get().pk, actor=world.boss, approve=True
        )
    timer = resolution(record)
    assert timer.policy == offering_policy
    assert timer.state == TimerState.RUNNING
    # 8 business hours from Monday 13:00, the four hours of approval not counted.
    assert timer.due_at == at(4, 12)

    with time_machine.travel(at(4, 10), tick=False):
        for task in record.tasks.order_by("order"):
            task.refresh_from_db()
            services.task_transition(task_id=task.pk, actor=world.tech, target=TaskStatus.DONE)
    assert resolution(record).state == TimerState.MET


def test_without_approval_in_pause_on_the_clock_runs_during_approval(world):
    policy(
        "Requests", calendar=calendar_5x9(), first_response=None, resolution=480,
        record_type="request", pause_on=[],
    )  # fmt: skip
    with time_machine.travel(at(3, 9), tick=False):
        record = order(world)
    timer = resolution(record)
    assert timer.state == TimerState.RUNNING
    assert timer.due_at == at(3, 17)


def test_a_rejection_cancels_the_timers(world):
    policy("Requests", calendar=calendar_5x9(), record_type="request")
    record = order(world)
    services.approval_decide(
        approval_id=record.approvals.get().pk, actor=world.boss, approve=False, comment="No budget"
    )
    assert set(timers_of(record).values_list("state", flat=True)) == {TimerState.CANCELLED}


def test_incident_policies_do_not_apply_to_requests(world):
    policy("Incidents only", calendar=calendar_5x9())
    assert not timers_of(order(world)).exists()


def test_each_public_agent_reply_on_a_request_starts_its_next_update_interval(world):
    policy(
        "Requests", calendar=calendar_5x9(), first_response=60, resolution=480, update=120,
        record_type="request", pause_on=[],
    )  # fmt: skip
    with time_machine.travel(at(3, 9), tick=False):
        record = order(world)
    with time_machine.travel(at(3, 10), tick=False):
        services.request_comment(request_id=record.pk, actor=world.agent, body="Ordered it.")
    with time_machine.travel(at(3, 10, 30), tick=False):
        services.request_comment(request_id=record.pk, actor=world.requester, body="Thanks")

    first, second = timers_of(record).filter(metric=Metric.UPDATE).order_by("pk")
    assert (first.state, first.stopped_at) == (TimerState.MET, at(3, 10))
    assert (second.state, second.started_at, second.due_at) == (
        TimerState.RUNNING, at(3, 10), at(3, 12),
    )  # fmt: skip
    assert timers_of(record).get(metric=Metric.FIRST_RESPONSE).state == TimerState.MET
