"""The SLA sweep: breaches and escalation rules fire once, at their moment, whatever the number of
sweeps, retries or workers; their actions (e-mails, reassignment, a higher priority) and the
timeline events commit with the firing row; the sweep's cost follows the timers due.

Own calendar (Monday to Friday 09:00-18:00 UTC), own policy and rules; the seeded defaults are
switched off. The week is 3-9 March 2025; `at(day, hour, minute)` is an instant of March 2025.
"""

import threading
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from incidents import services
from incidents.choices import IncidentStatus, PendingReason
from incidents.models import Category, Incident
from servicedesk.actors import system_actor
from servicedesk.models import AuditEvent, AuditKind, Notification, Visibility
from servicedesk.notifications import deliver_pending
from servicedesk.selectors import record_timeline
from sla import actions
from sla import services as sla
from sla.models import EscalationFiring, Metric, SlaPolicy, SlaTimer, TimerState
from sla.tasks import sla_sweep_task
from tests.factories import UserFactory
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    EndUserFactory,
    SupportGroupFactory,
    incident,
    transition,
)
from tests.sla.factories import at, calendar_5x9, policy, rule, switch_off_defaults, timer, timers

S = IncidentStatus
FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks (SKIP LOCKED): run with DATABASE_URL=postgres://... for "
    "concurrent sweeps",
)


@pytest.fixture
def clock():
    with time_machine.travel(at(3, 9), tick=False) as traveller:
        yield traveller


def setup_desk():
    switch_off_defaults()
    agent = AgentFactory(full_name="Arash Agent", email="arash@example.com")
    lead = AgentFactory(full_name="Lena Lead", email="lena@example.com")
    calendar = calendar_5x9()
    return SimpleNamespace(
        agent=agent,
        lead=lead,
        requester=EndUserFactory(full_name="Emma Enduser", email="emma@example.com"),
        group=SupportGroupFactory(name="Service Desk", members=[agent, lead], lead=lead),
        calendar=calendar,
        standard=policy("Standard", calendar=calendar, pause_on=["customer"]),
    )


@pytest.fixture
def desk(db, clock):
    """The agent and the lead of the Service Desk, a requester, the 5x9 calendar and one
    policy: first response 60 minutes, resolution 480 (due at 18:00 for 10:00)."""
    return setup_desk()


def log_incident(desk, clock, when, *, respond=True, **fields):
    """An incident logged at `when`, assigned to the agent; answered at once (its first
    response met) unless respond=False, so that only the resolution clock is left running."""
    clock.move_to(when)
    fields.setdefault("support_group", desk.group)
    fields.setdefault("assignee", desk.agent)
    fields.setdefault("requester", desk.requester)
    record = incident(actor=desk.agent, **fields)
    if respond:
        with transaction.atomic():
            services.incident_comment(
                incident_id=record.pk, actor=desk.agent, body="<p>On it.</p>",
                visibility=Visibility.PUBLIC,
            )  # fmt: skip
    return record


@pytest.fixture
def log(desk, clock):
    def make(when, **fields):
        return log_incident(desk, clock, when, **fields)

    return make


def sweep_at(clock, when, **kwargs) -> int:
    clock.move_to(when)
    return sla.sweep(**kwargs)


def settle():
    """Send what is waiting in the outbox and forget it: the test looks at what comes next."""
    deliver_pending()
    mail.outbox.clear()


def escalations(record):
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident),
            object_id=record.pk,
            kind=AuditKind.ESCALATED,
        ).order_by("pk")
    )


def sent_to(address):
    return [message for message in mail.outbox if message.to == [address]]


# --- Percentages ------------------------------------------------------------------------------


class TestPercentRule:
    def test_75_percent_fires_once_at_its_moment_with_event_and_email(self, desk, log, clock):
        warn = rule("Warn the assignee", percent=75, action="notify_assignee")
        record = log(at(3, 10))
        settle()
        assert timer(record, RES).next_check_at == at(3, 16)  # 6 of 8 business hours

        assert sweep_at(clock, at(3, 15, 59, 59)) == 0
        assert EscalationFiring.objects.count() == 0

        assert sweep_at(clock, at(3, 16)) == 1

        (firing,) = EscalationFiring.objects.all()
        assert (firing.timer, firing.rule, firing.fired_at) == (timer(record, RES), warn, at(3, 16))
        assert timer(record, RES).next_check_at == at(3, 18)  # the breach comes next
        (event,) = escalations(record)
        assert (event.actor, event.public, event.new_text) == (
            system_actor(),
            False,
            "Warn the assignee",
        )
        assert event.actor.full_name == "Service Desk automation"
        assert "Resolution" in event.note
        agents_view = [e.item for e in record_timeline(record=record, user=desk.agent)]
        requesters_view = [e.item for e in record_timeline(record=record, user=desk.requester)]
        assert event in agents_view and event not in requesters_view
        deliver_pending()
        (message,) = mail.outbox
        assert message.to == [desk.agent.email]
        assert f"[{record.number}] SLA attention needed" in message.subject
        assert "Resolution: due" in message.body

        mail.outbox.clear()
        assert sweep_at(clock, at(3, 16)) == 0
        assert sweep_at(clock, at(3, 17, 59)) == 0
        deliver_pending()
        assert EscalationFiring.objects.count() == 1
        assert len(escalations(record)) == 1
        assert mail.outbox == []

    def test_a_retried_task_fires_nothing_more(
        self, desk, log, clock, django_capture_on_commit_callbacks
    ):
        rule("Warn the assignee", percent=75, action="notify_assignee")
        record = log(at(3, 10))
        settle()
        clock.move_to(at(3, 16, 0, 20))

        with django_capture_on_commit_callbacks(execute=True):
            first = sla_sweep_task.delay().get()
        with django_capture_on_commit_callbacks(execute=True):
            second = sla_sweep_task.apply().get()  # as a retry runs it

        assert (first, second) == (1, 0)
        assert EscalationFiring.objects.filter(timer__object_id=record.pk).count() == 1
        assert [m.to for m in mail.outbox] == [[desk.agent.email]]  # sent after the commit

    def test_the_breach_sets_breached_at_and_the_100_percent_rule_tells_the_lead(
        self, desk, log, clock
    ):
        rule("Tell the lead", percent=100, action="notify_group_lead")
        record = log(at(3, 10))
        settle()

        assert sweep_at(clock, at(3, 17, 59)) == 0
        assert sweep_at(clock, at(3, 18)) == 2  # the breach and the rule

        breached = timer(record, RES)
        assert (breached.state, breached.breached_at) == (TimerState.RUNNING, at(3, 18))
        assert breached.next_check_at is None  # nothing left to do until it is met
        assert [e.new_text for e in escalations(record)] == [
            "Resolution target breached",
            "Tell the lead",
        ]
        deliver_pending()
        assert [m.to for m in mail.outbox] == [[desk.lead.email]]
        mail.outbox.clear()
        assert sweep_at(clock, at(4, 12)) == 0
        deliver_pending()
        assert mail.outbox == []

        clock.move_to(at(4, 13))
        transition(record, desk.agent, S.RESOLVED)
        assert timer(record, RES).state == TimerState.BREACHED
        assert timer(record, RES).breached_at == at(3, 18)

    def test_a_sweep_hours_late_fires_every_due_rule_once(self, desk, log, clock):
        half = rule("Half", percent=50, action="notify_assignee")
        most = rule("Most", percent=75, action="notify_assignee")
        breach = rule("Breach", percent=100, action="notify_group_lead")
        overdue = rule("Overdue", percent=150, action="notify_addresses",
                       addresses="duty@example.com")  # fmt: skip
        later = rule("Far later", percent=300, action="notify_addresses",
                     addresses="late@example.com")  # fmt: skip
        record = log(at(3, 10))
        settle()

        # The broker was down from Monday 11:00 to Wednesday 12:00: 20 business hours spent.
        assert sweep_at(clock, at(5, 12)) == 5  # four rules and the breach

        running = timer(record, RES)
        assert running.breached_at == at(3, 18)  # the due time, not the late sweep's time
        fired = {f.rule: f.fired_at for f in running.firings.all()}
        assert fired == {half: at(5, 12), most: at(5, 12), breach: at(5, 12),
                         overdue: at(5, 12)}  # fmt: skip
        assert running.next_check_at == at(5, 16)  # 300%: 24 business hours from Monday 10:00
        deliver_pending()
        assert len(sent_to(desk.agent.email)) == 2
        assert len(sent_to(desk.lead.email)) == 1
        assert len(sent_to("duty@example.com")) == 1
        assert sweep_at(clock, at(5, 12, 1)) == 0
        assert sweep_at(clock, at(5, 16)) == 1
        assert set(running.firings.values_list("rule", flat=True)) == {
            half.pk, most.pk, breach.pk, overdue.pk, later.pk,
        }  # fmt: skip

    def test_a_rule_of_another_policy_or_metric_does_not_apply(self, desk, log, clock):
        other = policy("Other", calendar=desk.calendar, precedence=500)
        rule("Other policy", percent=10, policy=other)
        rule("First responses", percent=10, metric=FR)
        mine = rule("Mine", percent=10, policy=desk.standard)
        record = log(at(3, 10))

        assert sweep_at(clock, at(3, 11)) == 1

        assert [f.rule for f in EscalationFiring.objects.all()] == [mine]
        assert timer(record, FR).state == TimerState.MET

    @pytest.mark.parametrize(
        ("action", "recipient"),
        [
            ("notify_role", "manager@example.com"),
            ("notify_addresses", "duty@example.com"),
            ("notify_assignee", "arash@example.com"),
        ],
    )
    def test_notification_actions(self, desk, log, clock, action, recipient):
        UserFactory(role=Role.DESK_MANAGER, email="manager@example.com")
        rule(percent=50, action=action, role=Role.DESK_MANAGER, addresses="duty@example.com")
        log(at(3, 10))
        settle()

        assert sweep_at(clock, at(3, 14)) == 1

        deliver_pending()
        assert [m.to for m in mail.outbox] == [[recipient]]

    def test_notify_assignee_without_one_tells_the_group_lead(self, desk, log, clock):
        rule(percent=50, action="notify_assignee")
        log(at(3, 10), assignee=None)
        settle()

        assert sweep_at(clock, at(3, 14)) == 1

        deliver_pending()
        assert [m.to for m in mail.outbox] == [[desk.lead.email]]


# --- Offsets from the due time ----------------------------------------------------------------


class TestOffsetRule:
    @pytest.mark.parametrize(
        ("logged", "metric", "offset", "due", "fires"),
        [
            # Resolution due at 18:00: half an hour before is 17:30.
            (at(3, 10), RES, -30, at(3, 18), at(3, 17, 30)),
            # First response due on Tuesday 09:15: 30 business minutes before is Monday 17:45
            # (15 minutes on Tuesday morning, 15 on Monday evening), across the night.
            (at(3, 17, 15), FR, -30, at(4, 9, 15), at(3, 17, 45)),
            # Due on Monday 09:15 after a Friday evening: fires on Friday at 17:45.
            (at(7, 17, 15), FR, -30, at(10, 9, 15), at(7, 17, 45)),
            # Due on Tuesday 09:30: 30 minutes back lands on Tuesday's opening, not on
            # Monday's close (reminders go out in business hours).
            (at(3, 17, 30), FR, -30, at(4, 9, 30), at(4, 9)),
            # Due on Tuesday 09:30: an hour before is Monday 17:30.
            (at(3, 17, 30), FR, -60, at(4, 9, 30), at(3, 17, 30)),
            # An hour after a breach at 18:00 is Tuesday 10:00, in business time.
            (at(3, 10), RES, 60, at(3, 18), at(4, 10)),
        ],
    )
    def test_offsets_are_business_time_from_the_due_time(
        self, desk, log, clock, logged, metric, offset, due, fires
    ):
        before = rule("Offset", metric=metric, offset_minutes=offset, action="notify_assignee")
        record = log(logged, respond=metric == RES)

        assert timer(record, metric).due_at == due
        assert timer(record, metric).next_check_at == min(due, fires)
        sweep_at(clock, fires - timedelta(minutes=1))
        assert not EscalationFiring.objects.filter(rule=before).exists()

        sweep_at(clock, fires)

        (firing,) = EscalationFiring.objects.filter(rule=before)
        assert (firing.timer, firing.fired_at) == (timer(record, metric), fires)
        sweep_at(clock, fires + timedelta(hours=30))
        assert EscalationFiring.objects.filter(rule=before).count() == 1


# --- Failures, actions, pauses ----------------------------------------------------------------


class TestFailures:
    def test_a_failing_action_rolls_back_its_firing_and_the_next_sweep_fires_it(
        self, desk, log, clock
    ):
        rule("Warn the assignee", percent=75, action="notify_assignee")
        first = log(at(3, 10))
        second = log(at(3, 10, 1))
        settle()
        real_run = actions.run
        calls = []

        def dies_once(record, timer, rule, outbox):
            calls.append(record.pk)
            if len(calls) == 1:
                raise RuntimeError("the worker died")
            return real_run(record, timer, rule, outbox)

        clock.move_to(at(3, 16, 1))
        with mock.patch("sla.actions.run", side_effect=dies_once):
            assert sla.sweep() == 1  # the other timer's firing went through

        failed = first if calls[0] == first.pk else second
        done = second if failed is first else first
        assert not EscalationFiring.objects.filter(timer__object_id=failed.pk).exists()
        assert escalations(failed) == []
        assert timer(failed, RES).next_check_at == at(3, 16)  # still due
        assert EscalationFiring.objects.filter(timer__object_id=done.pk).count() == 1
        deliver_pending()
        assert len(mail.outbox) == 1
        mail.outbox.clear()

        with mock.patch("sla.actions.run", side_effect=dies_once):
            assert sweep_at(clock, at(3, 16, 2)) == 1

        assert EscalationFiring.objects.filter(timer__object_id=failed.pk).count() == 1
        assert EscalationFiring.objects.count() == 2
        assert len(escalations(failed)) == 1
        deliver_pending()
        assert len(mail.outbox) == 1

    def test_an_action_that_always_fails_does_not_hold_up_the_others(self, desk, log, clock):
        """Raising the priority of an incident whose category was retired fails validation
        every time; the sweep still fires everyone else's rules."""
        rule("Raise", percent=50, action="raise_priority")
        retired = CategoryFactory(name="Fax machines")
        stuck = log(at(3, 10), category=retired)
        Category.objects.filter(pk=retired.pk).update(is_active=False)
        fine = log(at(3, 10))

        assert sweep_at(clock, at(3, 14)) == 1
        assert sweep_at(clock, at(3, 14, 1)) == 0

        assert EscalationFiring.objects.filter(timer__object_id=fine.pk).count() == 1
        assert not EscalationFiring.objects.filter(timer__object_id=stuck.pk).exists()
        assert Incident.objects.get(pk=fine.pk).priority == 2

    def test_a_worker_dying_mid_batch_loses_nothing(self, desk, log, clock):
        """The worker is killed on the second timer of a batch: the first timer's firing, its
        event and its e-mail roll back with the batch, and the next sweep does both."""
        rule("Warn the assignee", percent=75, action="notify_assignee")
        log(at(3, 10))
        log(at(3, 10, 1))
        settle()
        real_process = sla._process
        calls = []

        def killed_on_the_second(*args):
            calls.append(args[0].pk)
            if len(calls) == 2:
                raise SystemExit("killed")
            return real_process(*args)

        clock.move_to(at(3, 17))
        with (
            mock.patch("sla.services.sweeping._process", side_effect=killed_on_the_second),
            pytest.raises(SystemExit),
        ):
            sla.sweep()

        assert len(calls) == 2
        assert EscalationFiring.objects.count() == 0
        assert AuditEvent.objects.filter(kind=AuditKind.ESCALATED).count() == 0
        assert Notification.objects.filter(kind="sla_escalation").count() == 0
        assert sla.sweep() == 2
        assert EscalationFiring.objects.count() == 2


class TestActions:
    def test_reassign_moves_the_incident_to_the_rules_group(self, desk, log, clock):
        network = SupportGroupFactory(name="Network", members=[AgentFactory()])
        rule("To the network team", percent=50, action="reassign", support_group=network)
        record = log(at(3, 10))

        assert sweep_at(clock, at(3, 14)) == 1

        record.refresh_from_db()
        assert (record.support_group, record.assignee, record.status) == (network, None, S.NEW)
        assert record.reassignment_count == 1
        moved = AuditEvent.objects.filter(object_id=record.pk, kind=AuditKind.ASSIGNED)
        assert {(e.field, e.actor) for e in moved} == {
            ("support_group", system_actor()),
            ("assignee", system_actor()),
        }
        assert timer(record, RES).due_at == at(3, 18)  # the same clock goes on
        assert sweep_at(clock, at(3, 15)) == 0

    def test_raise_priority_raises_the_urgency_and_retargets_the_timers(self, desk, log, clock):
        SlaPolicy.objects.filter(pk=desk.standard.pk).update(is_active=False)
        p2 = policy("P2", calendar=desk.calendar, priority=2, first_response=30, resolution=240)
        p3 = policy("P3", calendar=desk.calendar, priority=3, first_response=60, resolution=480)
        rule("Raise P3 at a quarter", percent=25, action="raise_priority", policy=p3)
        record = log(at(3, 10), impact="medium", urgency="medium")
        assert (record.priority, timer(record, RES).policy) == (3, p3)

        assert sweep_at(clock, at(3, 12)) == 1

        record.refresh_from_db()
        assert (record.urgency, record.priority) == ("high", 2)
        raised = timer(record, RES)
        assert (raised.policy, raised.target_seconds) == (p2, 240 * 60)
        assert raised.due_at == at(3, 14)  # 4 business hours from 10:00
        assert raised.next_check_at == at(3, 14)  # P3's rule no longer applies
        changes = AuditEvent.objects.filter(object_id=record.pk, kind=AuditKind.FIELD_CHANGED,
                                            actor=system_actor())  # fmt: skip
        assert {e.field for e in changes} == {"urgency", "priority"}
        assert sweep_at(clock, at(3, 13)) == 0
        assert sweep_at(clock, at(3, 14)) == 1  # the breach of the new target
        assert Incident.objects.get(pk=record.pk).priority == 2

    def test_raise_priority_at_the_top_changes_nothing(self, desk, log, clock):
        rule("Raise", percent=50, action="raise_priority")
        record = log(at(3, 10), impact="high", urgency="high")

        assert sweep_at(clock, at(3, 14)) == 1

        record.refresh_from_db()
        assert (record.urgency, record.priority, record.version) == ("high", 1, 1)


class TestNeverFire:
    def test_paused_timers_never_fire(self, desk, log, clock):
        rule("Half", percent=50)
        rule("Breach", percent=100, action="notify_group_lead")
        record = log(at(3, 10), respond=False)
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)

        assert sweep_at(clock, at(7, 17)) == 0

        for paused in timers(record):
            assert (paused.state, paused.breached_at) == (TimerState.PAUSED, None)
        assert EscalationFiring.objects.count() == 0
        assert escalations(record) == []

    def test_a_paused_timer_with_a_stale_check_time_is_cleared_not_fired(self, desk, log, clock):
        rule("Half", percent=50)
        record = log(at(3, 10))
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        SlaTimer.objects.filter(object_id=record.pk).update(next_check_at=at(3, 11))

        assert sweep_at(clock, at(3, 18)) == 0

        assert timer(record, RES).next_check_at is None
        assert EscalationFiring.objects.count() == 0

    def test_met_and_cancelled_timers_never_fire(self, desk, log, clock):
        rule("Half", percent=50)
        met = log(at(3, 10))
        cancelled = log(at(3, 10))
        clock.move_to(at(3, 11))
        transition(met, desk.agent, S.RESOLVED)
        transition(cancelled, desk.agent, S.CANCELLED)

        assert sweep_at(clock, at(5, 12)) == 0
        assert EscalationFiring.objects.count() == 0

    def test_a_deactivated_rule_no_longer_fires(self, desk, log, clock):
        half = rule("Half", percent=50)
        record = log(at(3, 10))
        half.is_active = False
        half.save()

        assert sweep_at(clock, at(3, 14)) == 0  # the breach check at 18:00 is next
        assert timer(record, RES).next_check_at == at(3, 18)


# --- The sweep's cost ---------------------------------------------------------------------------


def test_a_batchs_writes_are_a_few_statements_whatever_the_number_due(desk, clock):
    """Firings, timeline events, e-mails and timers are written in bulk: sweeping 12 due timers
    takes as many statements as sweeping 3."""
    policy("Resolution only", calendar=desk.calendar, precedence=1, first_response=None)
    rule("Warn the assignee", percent=75)
    rule("Tell the lead", percent=75, action="notify_group_lead")

    def sweep_of(day, count):
        for _ in range(count):
            log_incident(desk, clock, at(day, 10), respond=False)
        assert sla.sweep() == 0  # the rules are read once, by the first sweep
        clock.move_to(at(day, 18, 1))  # past 75% and the breach: three firings each
        with CaptureQueriesContext(connection) as queries:
            assert sla.sweep() == 3 * count
        return len(queries)

    assert sweep_of(3, 3) == sweep_of(4, 12)
    assert EscalationFiring.objects.count() == 2 * 15
    assert Notification.objects.filter(kind="sla_escalation").count() == 2 * 15


@on_postgresql
def test_a_sweep_of_100_due_timers_is_eleven_statements_three_of_them_writes(desk, clock):
    """100 timers breach and pass two rules at once (300 firings, 300 timeline events, 200
    e-mails, 100 bells): the firings, events and timers are one statement, the e-mails and the
    bells one COPY each; reading the timers, their records and their firings one query each."""
    policy("Resolution only", calendar=desk.calendar, precedence=1, first_response=None)
    rule("Warn the assignee", percent=75)
    rule("Tell the lead", percent=75, action="notify_group_lead")
    logged = [log_incident(desk, clock, at(3, 10), respond=False) for _ in range(100)]
    assert sweep_at(clock, at(3, 10, 30)) == 0  # nothing due: the rules are read here
    clock.move_to(at(3, 18, 1))

    with CaptureQueriesContext(connection) as queries:
        assert sla.sweep() == 300
    statements = [
        query["sql"].split(None, 1)[0].upper()
        for query in queries
        if "events_webhooksubscription" not in query["sql"]  # read every few seconds
    ]

    assert statements == [
        "SAVEPOINT", "SET", "SELECT", "SELECT", "SELECT", "SAVEPOINT",
        "WITH", "COPY", "COPY", "RELEASE", "RELEASE",
    ], [query["sql"][:80] for query in queries]  # fmt: skip
    assert EscalationFiring.objects.count() == 200
    assert Notification.objects.filter(kind="sla_escalation").count() == 200
    assert AuditEvent.objects.filter(kind=AuditKind.ESCALATED).count() == 300
    first, last = logged[0], logged[-1]
    for record in (first, last):
        assert [(event.new_text, event.note, event.actor, event.public)
                for event in escalations(record)] == [
            ("Resolution target breached", "", system_actor(), False),
            ("Warn the assignee", "Resolution: Notify the assignee", system_actor(), False),
            ("Tell the lead", "Resolution: Notify the group lead", system_actor(), False),
        ]  # fmt: skip
        resolution = timer(record, RES)
        assert resolution.breached_at == at(3, 18)
        assert resolution.next_check_at is None
    assert sla.sweep() == 0


def test_when_the_batchs_writes_fail_each_timer_is_done_on_its_own(desk, log, clock):
    """A bulk write refused by the database (say, a firing that exists after all) sends the
    batch down the slow path: each timer in its own savepoint, each rule still once."""
    rule("Warn the assignee", percent=75)
    first, second = log(at(3, 10)), log(at(3, 10, 1))
    settle()
    real_write = sla._Batch.write
    writes = []

    def refused_once(batch, timers):
        writes.append(len(timers))
        if len(writes) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_write(batch, timers)

    clock.move_to(at(3, 16, 5))
    with mock.patch("sla.services._Batch.write", refused_once):
        assert sla.sweep() == 2

    assert writes == [2, 1, 1]  # the batch, then each timer alone
    for record in (first, second):
        assert EscalationFiring.objects.filter(timer__object_id=record.pk).count() == 1
        assert len(escalations(record)) == 1
    assert sweep_at(clock, at(3, 16, 6)) == 0


def test_the_sweep_reads_only_the_timers_due(desk, clock):
    """One range query on next_check_at: 200 running timers not due cost nothing."""
    policy("Resolution only", calendar=desk.calendar, precedence=1, first_response=None)
    rule("Warn the assignee", percent=75)

    def three_due(day):
        logged = [log_incident(desk, clock, at(day, 10), respond=False) for _ in range(3)]
        clock.move_to(at(day, 16))
        with CaptureQueriesContext(connection) as queries:
            assert sla.sweep() == 3
        clock.move_to(at(day, 16, 30))
        for record in logged:
            transition(record, desk.agent, S.RESOLVED)
        return queries

    alone = three_due(3)
    template = SlaTimer.objects.filter(state=TimerState.MET).first()
    SlaTimer.objects.bulk_create(
        SlaTimer(
            content_type=template.content_type, object_id=10_000_000 + n,
            policy=template.policy, target=template.target, metric=template.metric,
            started_at=at(4, 9), target_seconds=template.target_seconds,
            due_at=at(17, 12), next_check_at=at(17, 9), updated_at=at(4, 9),
        )
        for n in range(200)
    )  # fmt: skip
    with_many = three_due(4)

    assert len(with_many) == len(alone)
    selections = [q["sql"] for q in with_many if 'FROM "sla_slatimer"' in q["sql"]]
    assert '"sla_slatimer"."next_check_at" <=' in selections[0]
    assert SlaTimer.objects.filter(updated_at=at(4, 9)).count() == 200  # none touched


# --- Concurrent sweeps (PostgreSQL) -------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_fire_each_rule_exactly_once(clock):
    desk = setup_desk()
    policy("Resolution only", calendar=desk.calendar, precedence=1, first_response=None)
    half = rule("Half", percent=50, action="notify_assignee")
    most = rule("Most", percent=75, action="notify_assignee")
    logged = [log_incident(desk, clock, at(3, 10), respond=False) for _ in range(50)]
    clock.move_to(at(3, 16, 30))  # both rules due, the breach not yet
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=30)
            fired = sla.sweep(batch_size=7)
            with lock:
                results.append(fired)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(results) == 2
    firings = EscalationFiring.objects.all()
    assert firings.count() == 100
    assert sum(results) == firings.count()
    pairs = set(firings.values_list("timer__object_id", "rule_id"))
    assert pairs == {(record.pk, r.pk) for record in logged for r in (half, most)}
    assert AuditEvent.objects.filter(kind=AuditKind.ESCALATED).count() == 100
    assert Notification.objects.filter(kind="sla_escalation").count() == 100
    assert sla.sweep() == 0


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_sweep_never_waits_for_a_record_a_service_is_changing(clock):
    """A service holds the incident (and will lock its timers next) while the sweep finds the
    incident's raise-priority rule due: the sweep takes the timer, does not wait for the
    incident, and leaves the timer due; the service then changes the incident and its timers
    without a deadlock, and the next sweep fires the rule, once."""
    from servicedesk import services as kernel

    desk = setup_desk()
    rule("Raise", percent=50, action="raise_priority")
    record = log_incident(desk, clock, at(3, 10), impact="medium", urgency="medium")
    assert record.priority == 3
    clock.move_to(at(3, 14, 30))  # half of the resolution target passed: the rule is due
    held = threading.Event()
    swept = threading.Event()
    outcome: dict = {"errors": []}

    def service():
        try:
            with transaction.atomic():
                kernel.record_lock(model=Incident, pk=record.pk)
                held.set()
                outcome["swept_while_held"] = swept.wait(timeout=10)
                services.incident_transition(
                    incident_id=record.pk, actor=desk.agent, target=S.IN_PROGRESS
                )
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            outcome["errors"].append(error)
        finally:
            connection.close()

    def sweeper():
        try:
            assert held.wait(timeout=30)
            outcome["fired"] = sla.sweep()
            swept.set()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            outcome["errors"].append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=service), threading.Thread(target=sweeper)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcome["errors"] == []
    assert outcome["swept_while_held"] is True
    assert outcome["fired"] == 0
    record.refresh_from_db()
    assert (record.status, record.urgency, record.priority) == (S.IN_PROGRESS, "medium", 3)
    assert not EscalationFiring.objects.exists()

    assert sla.sweep() == 1
    record.refresh_from_db()
    assert (record.urgency, record.priority) == ("high", 2)
    assert EscalationFiring.objects.count() == 1
    assert sla.sweep() == 0
