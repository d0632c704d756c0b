"""Editing a calendar, a policy or a rule recomputes the open timers that use it, even with the
broker down: the recompute is a row written with the edit, the task asked after the commit is a
shortcut, and the SLA sweep does what no worker did. Switching a policy off moves its open
timers to the next matching agreement, the time elapsed kept.

Own calendar (Monday to Friday 09:00-18:00 UTC) and policies; `at(day, hour)` is March 2025.
"""

import logging
from datetime import time, timedelta

import pytest
from django.core import mail
from django.db import transaction

from incidents import services
from incidents.choices import IncidentStatus, PendingReason
from servicedesk.models import Notification
from servicedesk.notifications import deliver_pending
from sla import services as sla
from sla.models import Metric, PendingRecompute, SlaPolicy, TimerState
from sla.tasks import sla_sweep_task
from tests.incidents.factories import AgentFactory
from tests.sla.factories import (
    at,
    log,
    policy,
    reply,
    timer,
    timers,
)

pytestmark = pytest.mark.django_db

FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION
MONDAY_LUNCH = [
    {"weekday": 0, "start": time(9), "end": time(13)},
    {"weekday": 0, "start": time(14), "end": time(18)},
    *({"weekday": day, "start": time(9), "end": time(18)} for day in range(1, 5)),
]


def hold(record, actor, reason=PendingReason.CUSTOMER):
    with transaction.atomic():
        services.incident_transition(
            incident_id=record.pk, actor=actor, target=IncidentStatus.PENDING,
            pending_reason=reason,
        )  # fmt: skip


def resume(record, actor):
    with transaction.atomic():
        services.incident_transition(
            incident_id=record.pk, actor=actor, target=IncidentStatus.IN_PROGRESS
        )


def save_calendar(desk):
    return sla.calendar_update(
        calendar_id=desk.calendar.pk, actor=desk.agent, changes={}, hours=MONDAY_LUNCH
    )


def switch_off(policy_row):
    actor = AgentFactory()
    return sla.policy_update(policy_id=policy_row.pk, actor=actor, changes={"is_active": False})


class TestBrokerOutage:
    def test_a_calendar_edit_commits_and_the_sweep_recomputes_its_timers(
        self, desk, clock, broker_down, django_capture_on_commit_callbacks, caplog
    ):
        record = log(desk, clock, at(3, 10))
        assert timer(record, RES).due_at == at(3, 18)
        clock.move_to(at(3, 10, 45))

        with (
            caplog.at_level(logging.ERROR, logger="servicedesk.jobs"),
            django_capture_on_commit_callbacks(execute=True) as callbacks,
        ):
            save_calendar(desk)

        assert len(callbacks) == 1  # the worker was asked, and the broker refused
        assert "could not queue sla.tasks.recompute_timers_task" in caplog.text
        desk.calendar.refresh_from_db()
        assert (desk.calendar.version, desk.calendar.hours.count()) == (2, 6)
        assert timer(record, RES).due_at == at(3, 18)  # nobody recomputed it yet
        pending = PendingRecompute.objects.get()
        assert (pending.calendar_id, pending.claimed_at) == (desk.calendar.pk, None)

        clock.move_to(at(3, 10, 50))
        sla_sweep_task()

        # 45 min spent by 10:45, 435 left: 135 until 13:00, 240 from 14:00 to 18:00, 60 on
        # Tuesday; the recompute counts from the instant it runs (10:50, 5 more minutes).
        assert timer(record, RES).due_at == at(4, 10)
        assert not PendingRecompute.objects.exists()

    def test_a_policy_edit_commits_and_the_sweep_recomputes_its_timers(
        self, desk, clock, broker_down, django_capture_on_commit_callbacks
    ):
        record = log(desk, clock, at(3, 10))
        clock.move_to(at(3, 10, 30))
        with django_capture_on_commit_callbacks(execute=True):
            sla.policy_update(
                policy_id=desk.standard.pk,
                actor=desk.agent,
                changes={},
                targets=[
                    {"metric": FR, "minutes": 60, "calendar": desk.calendar},
                    {"metric": RES, "minutes": 120, "calendar": desk.calendar},
                ],
            )
        assert timer(record, RES).due_at == at(3, 18)

        sla_sweep_task()

        assert timer(record, RES).target_seconds == 120 * 60
        assert timer(record, RES).due_at == at(3, 12)
        assert not PendingRecompute.objects.exists()

    def test_an_e_mail_written_with_the_broker_down_waits_in_the_outbox(
        self, desk, clock, broker_down, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            record = log(desk, clock, at(3, 10), assignee=None)
        waiting = Notification.objects.filter(object_id=record.pk, sent_at__isnull=True).count()
        assert waiting
        mail.outbox.clear()

        assert deliver_pending() == waiting  # what the beat's delivery run does
        assert not Notification.objects.filter(object_id=record.pk, sent_at__isnull=True).exists()
        assert mail.outbox


class TestPendingRows:
    def test_with_the_broker_up_the_task_does_the_work_and_removes_the_row(
        self, desk, clock, django_capture_on_commit_callbacks
    ):
        record = log(desk, clock, at(3, 10))
        clock.move_to(at(3, 10, 45))
        with django_capture_on_commit_callbacks(execute=True):
            save_calendar(desk)
        assert timer(record, RES).due_at == at(4, 10)
        assert not PendingRecompute.objects.exists()

    def test_a_claimed_row_is_run_once_and_a_stale_claim_is_taken_over(self, desk, clock):
        record = log(desk, clock, at(3, 10))
        clock.move_to(at(3, 10, 45))
        with transaction.atomic():
            pending = save_calendar(desk) and PendingRecompute.objects.get()
        PendingRecompute.objects.filter(pk=pending.pk).update(claimed_at=at(3, 10, 44))

        assert sla.pending_recompute_run(pending_id=pending.pk) is None  # a worker has it
        assert sla.pending_recomputes_run() == 0
        assert timer(record, RES).due_at == at(3, 18)

        clock.move_to(at(3, 10, 44) + timedelta(seconds=sla.RECOMPUTE_CLAIM_SECONDS + 1))
        assert sla.pending_recomputes_run() == 2  # its worker died: the sweep takes over
        assert timer(record, RES).due_at == at(4, 10)
        assert not PendingRecompute.objects.exists()
        assert sla.pending_recompute_run(pending_id=pending.pk) is None  # done: nothing twice


class TestPolicySwitchedOff:
    def test_open_timers_move_to_the_next_policy_with_the_elapsed_time_kept(
        self, desk, clock, django_capture_on_commit_callbacks
    ):
        gold = policy("Gold", calendar=desk.calendar, precedence=10, first_response=30,
                      resolution=120)  # fmt: skip
        record = log(desk, clock, at(3, 10))
        assert {t.policy for t in timers(record)} == {gold}
        clock.move_to(at(3, 10, 10))
        reply(record, desk.agent)
        clock.move_to(at(3, 10, 30))
        hold(record, desk.agent)
        clock.move_to(at(3, 11))
        resume(record, desk.agent)
        clock.move_to(at(3, 11, 30))

        with django_capture_on_commit_callbacks(execute=True):
            switch_off(gold)

        moved = timer(record, RES)
        assert (moved.policy, moved.state, moved.started_at) == (
            desk.standard,
            "running",
            at(3, 10),
        )
        assert moved.pauses == [[at(3, 10, 30).isoformat(), at(3, 11).isoformat()]]
        # 480 minutes from 10:00 plus the 30 paused: 390 left at 18:00 on Monday, 30 on Tuesday.
        assert moved.due_at == at(4, 9, 30)
        met = timer(record, FR)
        assert (met.policy, met.state, met.stopped_at) == (gold, TimerState.MET, at(3, 10, 10))

    def test_with_no_policy_left_the_open_timers_are_cancelled_and_never_fire(
        self, desk, clock, django_capture_on_commit_callbacks
    ):
        record = log(desk, clock, at(3, 10))
        clock.move_to(at(3, 11))
        with django_capture_on_commit_callbacks(execute=True):
            switch_off(desk.standard)

        assert {(t.state, t.stopped_at) for t in timers(record)} == {
            (TimerState.CANCELLED, at(3, 11))
        }
        assert sla.sweep(now=at(5, 9)) == 0

    def test_switched_off_with_the_broker_down_the_sweep_moves_them(
        self, desk, clock, broker_down, django_capture_on_commit_callbacks
    ):
        gold = policy("Gold", calendar=desk.calendar, precedence=10, resolution=120)
        record = log(desk, clock, at(3, 10))
        clock.move_to(at(3, 10, 30))
        with django_capture_on_commit_callbacks(execute=True):
            switch_off(gold)
        assert timer(record, RES).policy == gold
        assert SlaPolicy.objects.get(pk=gold.pk).is_active is False

        sla_sweep_task()

        assert {t.policy for t in timers(record)} == {desk.standard}
        assert timer(record, RES).due_at == at(3, 18)
