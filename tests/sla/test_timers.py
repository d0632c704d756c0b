"""SLA timers through the incident services: started with the record, paused and resumed by
pending reasons, met by the first public reply and by resolving, breached when late, cancelled,
resumed on reopening, re-targeted by a priority change and recomputed when a calendar or a
policy is edited.

Every test builds its own calendar (Monday to Friday 09:00-18:00 UTC unless said otherwise) and
policies; the seeded defaults are switched off. The clock is frozen with time_machine; the week
is 3-9 March 2025 (Monday 3rd), and `at(day, hour, minute)` is an instant of March 2025 in UTC.
"""

from datetime import date, datetime, time
from types import SimpleNamespace

import pytest
from django.db import transaction

from incidents import services
from incidents.choices import IncidentStatus, PendingReason
from servicedesk.models import Visibility
from sla import services as sla
from sla.models import Metric, SlaPolicy, SlaTarget, TimerState, WorkingHours
from sla.selectors import page_timers_of
from sla.tasks import recompute_timers_task
from tests.factories import OrganisationFactory
from tests.incidents.factories import (
    EndUserFactory,
    ServiceFactory,
    incident,
    transition,
)
from tests.sla.factories import at, calendar_5x9, policy, rule, timer, timers

S = IncidentStatus
FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION
# impact, urgency -> priority in the seeded matrix
P1 = {"impact": "high", "urgency": "high"}
P2 = {"impact": "medium", "urgency": "high"}
P3 = {"impact": "medium", "urgency": "medium"}
P4 = {"impact": "low", "urgency": "medium"}
P5 = {"impact": "low", "urgency": "low"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(desk, clock):
    """log(when, **fields): an incident logged by the agent at `when`, assigned to them."""

    def make(when, **fields):
        clock.move_to(when)
        fields.setdefault("support_group", desk.group)
        fields.setdefault("assignee", desk.agent)
        fields.setdefault("requester", desk.requester)
        return incident(actor=desk.agent, **fields)

    return make


def comment(record, actor, visibility=Visibility.PUBLIC, body="<p>Looking into it.</p>"):
    with transaction.atomic():
        return services.incident_comment(
            incident_id=record.pk, actor=actor, body=body, visibility=visibility
        )


def update(record, actor, **changes):
    with transaction.atomic():
        return services.incident_update(incident_id=record.pk, actor=actor, changes=changes)


def iso(value: datetime) -> str:
    return value.isoformat()


# --- Start ----------------------------------------------------------------------------------


class TestStart:
    def test_monday_ten_oclock_is_due_at_eleven_and_at_six(self, log):
        record = log(at(3, 10))

        first, resolution = timer(record, FR), timer(record, RES)
        assert (first.due_at, resolution.due_at) == (at(3, 11), at(3, 18))
        for started in (first, resolution):
            assert started.state == TimerState.RUNNING
            assert started.started_at == at(3, 10)
            assert started.next_check_at == started.due_at  # no rules: the breach is next
            assert started.breached_at is None and started.stopped_at is None
        assert (first.target_seconds, resolution.target_seconds) == (3600, 8 * 3600)

    def test_friday_half_past_five_is_due_on_monday_morning(self, log):
        record = log(at(7, 17, 30))

        assert timer(record, FR).due_at == at(10, 9, 30)
        assert timer(record, RES).due_at == at(10, 16, 30)  # 30 min on Friday, 7h30 on Monday

    def test_a_holiday_on_that_monday_moves_it_to_tuesday(self, desk, log):
        desk.calendar.holidays.create(date=date(2025, 3, 10), name="Spring holiday")

        record = log(at(7, 17, 30))

        assert timer(record, FR).due_at == at(11, 9, 30)
        assert timer(record, RES).due_at == at(11, 16, 30)

    @pytest.mark.parametrize("when", [at(8, 11), at(9, 23, 59), at(10, 7, 15)])
    def test_outside_working_hours_the_clock_counts_from_the_next_opening(self, log, when):
        record = log(when)  # Saturday, late Sunday, early Monday

        assert timer(record, FR).started_at == when
        assert timer(record, FR).due_at == at(10, 10)
        assert timer(record, RES).due_at == at(10, 17)

    def test_working_hours_are_in_the_calendars_time_zone_and_due_times_in_utc(self, desk, log):
        berlin = calendar_5x9("Berlin desk", time_zone="Europe/Berlin")  # CET, UTC+1 in March
        policy("Berlin", calendar=berlin, precedence=1)

        record = log(at(3, 7))  # 08:00 in Berlin: before opening

        assert timer(record, FR).due_at == at(3, 9)  # 10:00 in Berlin
        assert timer(record, RES).due_at == at(3, 16)  # 17:00 in Berlin
        assert timer(record, RES).due_at.utcoffset().total_seconds() == 0

    def test_an_incident_without_an_assignee_starts_its_timers_too(self, desk, clock):
        clock.move_to(at(3, 10))

        record = incident(actor=desk.agent, support_group=desk.group)

        assert record.status == S.NEW
        assert {t.metric for t in timers(record)} == {FR, RES}


class TestWhichPolicy:
    def test_a_priority_one_policy_beats_the_catch_all(self, desk, log):
        critical = policy("P1", calendar=desk.calendar, priority=1, precedence=10,
                          first_response=15, resolution=60)  # fmt: skip

        urgent = log(at(3, 10), **P1)
        ordinary = log(at(3, 10), **P3)

        assert urgent.priority == 1
        assert {t.policy for t in timers(urgent)} == {critical}
        assert timer(urgent, FR).due_at == at(3, 10, 15)
        assert timer(urgent, RES).due_at == at(3, 11)
        assert {t.policy for t in timers(ordinary)} == {desk.standard}
        assert timer(ordinary, FR).due_at == at(3, 11)

    def test_precedence_decides_not_how_specific_a_policy_is(self, desk, log):
        policy("P1 (after the catch-all)", calendar=desk.calendar, priority=1, precedence=500,
               first_response=15)  # fmt: skip

        urgent = log(at(3, 10), **P1)

        assert {t.policy for t in timers(urgent)} == {desk.standard}

    def test_an_organisations_policy_applies_to_its_people_only(self, desk, log):
        acme = OrganisationFactory(name="Acme")
        gold = policy("Acme gold", calendar=desk.calendar, organisation=acme, precedence=20,
                      first_response=30)  # fmt: skip

        theirs = log(at(3, 10), requester=EndUserFactory(organisation=acme))
        others = log(at(3, 10))

        assert theirs.organisation_id == acme.pk
        assert timer(theirs, FR).policy == gold
        assert timer(theirs, FR).due_at == at(3, 10, 30)
        assert timer(others, FR).policy == desk.standard

    def test_a_services_policy_applies_to_incidents_on_that_service(self, desk, log):
        payroll = ServiceFactory(name="Payroll")
        slow = policy("Payroll", calendar=desk.calendar, service=payroll, precedence=30,
                      first_response=120)  # fmt: skip

        on_payroll = log(at(3, 10), service=payroll)
        elsewhere = log(at(3, 10), service=ServiceFactory(name="Mail"))

        assert timer(on_payroll, FR).policy == slow
        assert timer(on_payroll, FR).due_at == at(3, 12)
        assert timer(elsewhere, FR).policy == desk.standard

    def test_every_condition_of_a_policy_must_match(self, desk, log):
        acme = OrganisationFactory(name="Acme")
        policy("Acme P1", calendar=desk.calendar, organisation=acme, priority=1, precedence=5,
               first_response=10)  # fmt: skip

        acme_p3 = log(at(3, 10), requester=EndUserFactory(organisation=acme), **P3)
        other_p1 = log(at(3, 10), **P1)

        assert timer(acme_p3, FR).policy == desk.standard
        assert timer(other_p1, FR).policy == desk.standard

    def test_an_inactive_policy_is_ignored(self, desk, log):
        policy("Old P1", calendar=desk.calendar, priority=1, precedence=1, is_active=False)

        assert timer(log(at(3, 10), **P1), FR).policy == desk.standard

    def test_no_policy_no_timers(self, desk, log):
        SlaPolicy.objects.update(is_active=False)

        record = log(at(3, 10))

        assert timers(record) == []
        transition(record, desk.agent, S.RESOLVED)  # and nothing breaks later on
        assert timers(record) == []

    def test_a_policy_with_one_target_starts_one_timer(self, desk, log):
        policy("Resolution only", calendar=desk.calendar, precedence=1, first_response=None)

        record = log(at(3, 10))

        assert [t.metric for t in timers(record)] == [RES]


# --- Pause and resume -------------------------------------------------------------------------


class TestPause:
    def test_pending_on_the_customer_pauses_and_resuming_excludes_the_pause(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 30))
        comment(record, desk.agent)  # the first response is met
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)

        paused = timer(record, RES)
        assert paused.state == TimerState.PAUSED
        assert paused.pauses == [[iso(at(3, 11)), None]]
        assert paused.due_at is None and paused.next_check_at is None
        assert sla.spent_seconds(paused, at(3, 16)) == 3600  # frozen at one hour

        clock.move_to(at(3, 14))
        transition(record, desk.agent, S.IN_PROGRESS)

        resumed = timer(record, RES)
        assert resumed.state == TimerState.RUNNING
        assert resumed.pauses == [[iso(at(3, 11)), iso(at(3, 14))]]
        # 1 hour spent (10-11), 7 left: 14:00-18:00 on Monday, 09:00-12:00 on Tuesday.
        assert resumed.due_at == at(4, 12)
        assert resumed.next_check_at == at(4, 12)

    def test_a_pause_over_the_night_counts_only_its_business_hours(self, desk, log, clock):
        record = log(at(3, 10))
        comment(record, desk.agent)
        clock.move_to(at(3, 17))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        clock.move_to(at(4, 10))
        transition(record, desk.agent, S.IN_PROGRESS)

        # Paused 17:00-18:00 and 09:00-10:00: 2 business hours. Spent 9 - 2 = 7; 1 left.
        assert timer(record, RES).due_at == at(4, 11)

    def test_the_first_response_clock_pauses_too(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 20))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        assert timer(record, FR).state == TimerState.PAUSED

        clock.move_to(at(3, 13))
        transition(record, desk.agent, S.IN_PROGRESS)

        assert timer(record, FR).due_at == at(3, 13, 40)  # 20 min spent, 40 left

    def test_the_requester_replying_resumes_the_clock(self, desk, log, clock):
        record = log(at(3, 10))
        comment(record, desk.agent)
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        clock.move_to(at(3, 14))

        comment(record, desk.requester, body="<p>Here is the screenshot.</p>")

        record.refresh_from_db()
        assert record.status == S.IN_PROGRESS
        assert timer(record, RES).state == TimerState.RUNNING
        assert timer(record, RES).due_at == at(4, 12)

    @pytest.mark.parametrize(
        ("reason", "pause_on", "pauses"),
        [
            (PendingReason.CHANGE, ["customer"], False),
            (PendingReason.SUPPLIER, ["customer"], False),
            (PendingReason.SUPPLIER, ["customer", "supplier"], True),
            (PendingReason.CUSTOMER, [], False),
        ],
    )
    def test_only_the_policys_pending_reasons_stop_the_clock(
        self, desk, log, clock, reason, pause_on, pauses
    ):
        SlaPolicy.objects.filter(pk=desk.standard.pk).update(pause_on=pause_on)
        record = log(at(3, 10))
        clock.move_to(at(3, 11))

        transition(record, desk.agent, S.PENDING, pending_reason=reason)

        waiting = timer(record, RES)
        if pauses:
            assert (waiting.state, waiting.due_at) == (TimerState.PAUSED, None)
        else:
            assert (waiting.state, waiting.due_at, waiting.pauses) == (
                TimerState.RUNNING,
                at(3, 18),
                [],
            )

    def test_pending_on_a_change_then_on_the_customer_pauses_from_the_switch(
        self, desk, log, clock
    ):
        record = log(at(3, 10))
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CHANGE)
        clock.move_to(at(3, 12))
        transition(record, desk.agent, S.IN_PROGRESS)
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)

        assert timer(record, RES).pauses == [[iso(at(3, 12)), None]]

    def test_resolving_while_paused_closes_the_pause(self, desk, log, clock):
        record = log(at(3, 10))
        comment(record, desk.agent)
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        clock.move_to(at(4, 15))

        transition(record, desk.agent, S.RESOLVED)

        met = timer(record, RES)
        assert (met.state, met.stopped_at, met.breached_at) == (TimerState.MET, at(4, 15), None)
        assert met.pauses == [[iso(at(3, 11)), iso(at(4, 15))]]
        assert sla.spent_seconds(met, at(5, 12)) == 3600


# --- Met, breached, cancelled, reopened ---------------------------------------------------------


class TestMet:
    def test_the_first_public_staff_reply_meets_the_first_response(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 20))

        comment(record, desk.agent)

        met = timer(record, FR)
        assert (met.state, met.stopped_at, met.breached_at) == (
            TimerState.MET,
            at(3, 10, 20),
            None,
        )
        assert met.due_at == at(3, 11) and met.next_check_at is None
        resolution = timer(record, RES)
        assert (resolution.state, resolution.due_at) == (TimerState.RUNNING, at(3, 18))

    def test_an_internal_note_or_the_requesters_reply_is_no_first_response(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 20))

        comment(record, desk.agent, visibility=Visibility.INTERNAL)
        comment(record, desk.requester, body="<p>Any news?</p>")

        still = timer(record, FR)
        assert (still.state, still.due_at, still.stopped_at) == (
            TimerState.RUNNING,
            at(3, 11),
            None,
        )

    def test_a_reply_after_the_due_time_ends_breached_at_the_due_time(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 11, 30))

        comment(record, desk.agent)

        late = timer(record, FR)
        assert (late.state, late.breached_at, late.stopped_at) == (
            TimerState.BREACHED,
            at(3, 11),
            at(3, 11, 30),
        )

    def test_a_reply_exactly_at_the_due_time_is_in_time(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 11))

        comment(record, desk.agent)

        assert timer(record, FR).state == TimerState.MET

    def test_later_replies_change_nothing(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 20))
        comment(record, desk.agent)
        clock.move_to(at(3, 12))

        comment(record, desk.agent)

        assert timer(record, FR).stopped_at == at(3, 10, 20)
        assert timer(record, FR).state == TimerState.MET

    def test_resolving_meets_the_resolution_and_an_unanswered_first_response(
        self, desk, log, clock
    ):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 45))

        transition(record, desk.agent, S.RESOLVED)

        for metric in (FR, RES):
            met = timer(record, metric)
            assert (met.state, met.stopped_at, met.breached_at, met.next_check_at) == (
                TimerState.MET,
                at(3, 10, 45),
                None,
                None,
            )

    def test_resolving_late_ends_breached_at_the_due_times(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(4, 10))

        transition(record, desk.agent, S.RESOLVED)

        assert (timer(record, FR).state, timer(record, FR).breached_at) == (
            TimerState.BREACHED,
            at(3, 11),
        )
        assert (timer(record, RES).state, timer(record, RES).breached_at) == (
            TimerState.BREACHED,
            at(3, 18),
        )

    def test_cancelling_cancels_the_open_timers(self, desk, log, clock):
        record = log(at(3, 10))
        comment(record, desk.agent)
        clock.move_to(at(3, 12))

        transition(record, desk.agent, S.CANCELLED)

        assert timer(record, FR).state == TimerState.MET  # stays met
        cancelled = timer(record, RES)
        assert (cancelled.state, cancelled.stopped_at, cancelled.next_check_at) == (
            TimerState.CANCELLED,
            at(3, 12),
            None,
        )

    def test_reopening_resumes_the_resolution_without_the_resolved_time(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 10))
        comment(record, desk.agent)
        clock.move_to(at(3, 12))
        transition(record, desk.agent, S.RESOLVED)
        clock.move_to(at(3, 15))

        transition(record, desk.agent, S.IN_PROGRESS)  # reopened

        reopened = timer(record, RES)
        assert reopened.state == TimerState.RUNNING
        assert reopened.stopped_at is None
        assert reopened.pauses == [[iso(at(3, 12)), iso(at(3, 15))]]
        # 2 hours spent (10-12), 6 left: 15:00-18:00, then 09:00-12:00 on Tuesday.
        assert reopened.due_at == at(4, 12)
        assert timer(record, FR).state == TimerState.MET  # the first response stays met
        assert len(timers(record)) == 2  # the same row, no second resolution timer

        clock.move_to(at(4, 11))
        transition(record, desk.agent, S.RESOLVED)

        again = timer(record, RES)
        assert (again.state, again.stopped_at) == (TimerState.MET, at(4, 11))
        assert sla.spent_seconds(again, at(9, 12)) == 7 * 3600

    def test_closing_a_resolved_incident_leaves_its_timers_alone(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 30))
        transition(record, desk.agent, S.RESOLVED)
        before = [(t.state, t.stopped_at, t.updated_at) for t in timers(record)]
        clock.move_to(at(4, 10))

        transition(record, desk.agent, S.CLOSED)

        assert [(t.state, t.stopped_at, t.updated_at) for t in timers(record)] == before


# --- Priority change -------------------------------------------------------------------------


@pytest.fixture
def by_priority(desk):
    """Policies per priority instead of the catch-all: P2 (30 / 240 min), P3 (60 / 480 min),
    P4 (120 / 960 min); none for P1 and P5."""
    SlaPolicy.objects.filter(pk=desk.standard.pk).update(is_active=False)
    return SimpleNamespace(
        p2=policy("P2", calendar=desk.calendar, priority=2, first_response=30, resolution=240),
        p3=policy("P3", calendar=desk.calendar, priority=3, first_response=60, resolution=480),
        p4=policy("P4", calendar=desk.calendar, priority=4, first_response=120, resolution=960),
    )


class TestPriorityChange:
    def test_the_new_policy_counts_from_the_start_and_keeps_the_paused_time(
        self, desk, by_priority, log, clock
    ):
        """GLPI #6902 lost the paused time when the SLA changed; here it is carried over."""
        record = log(at(3, 10), **P3)
        clock.move_to(at(3, 10, 10))
        comment(record, desk.agent)
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        clock.move_to(at(3, 13))
        transition(record, desk.agent, S.IN_PROGRESS)
        assert timer(record, RES).due_at == at(4, 11)  # 480 min + the 2 hours paused
        clock.move_to(at(3, 14))

        update(record, desk.agent, urgency="high")  # P3 -> P2

        record.refresh_from_db()
        assert record.priority == 2
        retargeted = timer(record, RES)
        assert retargeted.policy == by_priority.p2
        assert retargeted.target_seconds == 240 * 60
        assert retargeted.started_at == at(3, 10)
        assert retargeted.pauses == [[iso(at(3, 11)), iso(at(3, 13))]]
        # From 10:00, 4 business hours minus the 2 paused: due at 16:00. Had the pause been
        # lost, it would have been due at 14:00, that is breached already.
        assert retargeted.due_at == at(3, 16)
        assert retargeted.state == TimerState.RUNNING and retargeted.breached_at is None
        met = timer(record, FR)  # met under P3: stays as it was
        assert (met.policy, met.state, met.target_seconds) == (
            by_priority.p3,
            TimerState.MET,
            3600,
        )

        clock.move_to(at(3, 15, 59))
        assert sla.sweep() == 0
        clock.move_to(at(3, 16))
        assert sla.sweep() == 1  # the breach, at the new due time
        assert timer(record, RES).breached_at == at(3, 16)

    def test_a_change_while_paused_keeps_the_timer_paused(self, desk, by_priority, log, clock):
        record = log(at(3, 10), **P3)
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        clock.move_to(at(3, 12))

        update(record, desk.agent, urgency="high")

        paused = timer(record, RES)
        assert (paused.policy, paused.state, paused.due_at) == (
            by_priority.p2,
            TimerState.PAUSED,
            None,
        )
        clock.move_to(at(3, 14))
        transition(record, desk.agent, S.IN_PROGRESS)
        assert timer(record, RES).due_at == at(3, 17)  # 1 hour spent, 3 left
        # The first response ran 10:00-11:00: its new 30 minutes ran out at 10:30, not at
        # 13:30 (30 minutes back from 14:00 through the pause).
        overdue = timer(record, FR)
        assert (overdue.due_at, overdue.next_check_at) == (at(3, 10, 30), at(3, 10, 30))
        assert sla.sweep() == 1
        assert timer(record, FR).breached_at == at(3, 10, 30)

    def test_an_open_first_response_is_retargeted_too(self, desk, by_priority, log, clock):
        record = log(at(3, 10), **P3)
        clock.move_to(at(3, 10, 20))

        update(record, desk.agent, urgency="high")

        assert timer(record, FR).due_at == at(3, 10, 30)
        assert timer(record, RES).due_at == at(3, 14)

    def test_a_new_policy_already_past_its_target_is_due_in_the_past(
        self, desk, by_priority, log, clock
    ):
        record = log(at(3, 10), **P3)
        comment(record, desk.agent)
        clock.move_to(at(3, 15))

        update(record, desk.agent, urgency="high")  # 240 min from 10:00: due at 14:00

        overdue = timer(record, RES)
        assert overdue.due_at == at(3, 14)
        assert overdue.next_check_at == at(3, 14)  # the next sweep records the breach
        assert sla.sweep() == 1
        assert timer(record, RES).breached_at == at(3, 14)

    def test_fired_rules_stay_fired_and_are_not_repeated(self, desk, by_priority, log, clock):
        anywhere = rule("Quarter gone", percent=25, action="notify_addresses",
                        addresses="desk@example.com")  # fmt: skip
        only_p4 = rule("P4 quarter", percent=25, policy=by_priority.p4,
                       action="notify_addresses", addresses="p4@example.com")  # fmt: skip
        record = log(at(3, 10), **P3)
        comment(record, desk.agent)
        clock.move_to(at(3, 12))  # 25% of 480 minutes
        assert sla.sweep() == 1
        clock.move_to(at(3, 13))

        update(record, desk.agent, impact="low")  # P3 -> P4: 960 minutes

        lower = timer(record, RES)
        assert lower.policy == by_priority.p4
        assert lower.due_at == at(4, 17)  # 3h spent, 13 left: 5 on Monday, 8 on Tuesday
        # 25% of 960 minutes is 14:00: in the future again, but "Quarter gone" fired already;
        # only the P4 policy's own rule is still to come.
        assert lower.next_check_at == at(3, 14)
        clock.move_to(at(3, 14))
        assert sla.sweep() == 1
        fired = {(f.rule, f.fired_at) for f in lower.firings.all()}
        assert fired == {(anywhere, at(3, 12)), (only_p4, at(3, 14))}
        assert timer(record, RES).next_check_at == at(4, 17)
        clock.move_to(at(4, 12))
        assert sla.sweep() == 0

    def test_a_priority_without_a_policy_cancels_the_timers(self, desk, by_priority, log, clock):
        record = log(at(3, 10), **P3)
        clock.move_to(at(3, 11))

        update(record, desk.agent, urgency="low", impact="low")  # P5: no policy

        assert {t.state for t in timers(record)} == {TimerState.CANCELLED}
        assert {t.stopped_at for t in timers(record)} == {at(3, 11)}

    def test_the_same_policy_changes_nothing(self, desk, log, clock):
        record = log(at(3, 10), **P3)
        before = [(t.policy_id, t.due_at, t.updated_at) for t in timers(record)]
        clock.move_to(at(3, 11))

        update(record, desk.agent, urgency="high")  # P2, still the catch-all

        assert [(t.policy_id, t.due_at, t.updated_at) for t in timers(record)] == before

    def test_a_new_organisation_picks_its_policy(self, desk, log, clock):
        acme = OrganisationFactory(name="Acme")
        gold = policy("Acme gold", calendar=desk.calendar, organisation=acme, precedence=20,
                      first_response=30, resolution=120)  # fmt: skip
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 15))

        update(record, desk.agent, organisation=acme)

        assert {t.policy for t in timers(record)} == {gold}
        assert timer(record, FR).due_at == at(3, 10, 30)
        assert timer(record, RES).due_at == at(3, 12)


# --- Edited calendar or policy ----------------------------------------------------------------


class TestRecompute:
    def test_an_edited_calendar_moves_the_open_timers_only(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 10, 30))
        comment(record, desk.agent)
        met_before = timer(record, FR)
        clock.move_to(at(3, 10, 45))
        # A lunch break on Mondays from now on: 09:00-13:00 and 14:00-18:00.
        WorkingHours.objects.filter(calendar=desk.calendar, weekday=0).update(end=time(13))
        WorkingHours.objects.create(calendar=desk.calendar, weekday=0, start=time(14),
                                    end=time(18))  # fmt: skip
        desk.calendar.version += 1
        desk.calendar.save()

        assert sla.recompute_open_timers(calendar_id=desk.calendar.pk) == 1

        # 45 min spent, 435 left: 135 until 13:00, 240 from 14:00 to 18:00, 60 on Tuesday.
        moved = timer(record, RES)
        assert moved.due_at == at(4, 10)
        assert (moved.updated_at, moved.next_check_at) == (at(3, 10, 45), at(4, 10))
        met_after = timer(record, FR)
        assert (met_after.state, met_after.due_at, met_after.updated_at) == (
            met_before.state,
            met_before.due_at,
            met_before.updated_at,
        )

    def test_an_edited_policy_recomputes_through_the_celery_task(self, desk, log, clock):
        other = policy("P1", calendar=desk.calendar, priority=1, precedence=10, resolution=60)
        mine = log(at(3, 10))
        theirs = log(at(3, 10), **P1)
        closed = log(at(3, 10))
        clock.move_to(at(3, 10, 30))
        transition(closed, desk.agent, S.RESOLVED)
        closed_before = [(t.state, t.due_at, t.target_seconds) for t in timers(closed)]
        clock.move_to(at(3, 11, 30))
        SlaTarget.objects.filter(policy=desk.standard, metric=RES).update(minutes=600)

        result = recompute_timers_task.delay(policy_id=desk.standard.pk)

        assert result.get() == 2  # the resolution and the (late) first response of `mine`
        assert timer(mine, RES).target_seconds == 600 * 60
        assert timer(mine, RES).due_at == at(4, 11)  # 10 hours from Monday 10:00
        assert timer(mine, FR).due_at == at(3, 11)  # its target did not change
        assert timer(theirs, RES).policy == other
        assert timer(theirs, RES).due_at == at(3, 11)
        assert [(t.state, t.due_at, t.target_seconds) for t in timers(closed)] == closed_before

    def test_a_paused_timer_stays_paused(self, desk, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        SlaTarget.objects.filter(policy=desk.standard, metric=RES).update(minutes=600)
        clock.move_to(at(3, 12))

        sla.recompute_open_timers(policy_id=desk.standard.pk)

        paused = timer(record, RES)
        assert (paused.state, paused.due_at, paused.target_seconds) == (
            TimerState.PAUSED,
            None,
            600 * 60,
        )
        clock.move_to(at(3, 13))
        transition(record, desk.agent, S.IN_PROGRESS)
        assert timer(record, RES).due_at == at(4, 13)  # 1 h spent, 9 left


# --- Update interval ----------------------------------------------------------------------------


class TestUpdateInterval:
    """The longest the requester waits between two public replies: each agent reply meets the
    running interval and starts the next one from the reply."""

    @pytest.fixture
    def chatty(self, desk):
        desk.standard.is_active = False
        desk.standard.save()
        return policy("Updates every 2 h", calendar=desk.calendar, update=120)

    def test_each_public_agent_reply_starts_the_next_interval(self, desk, chatty, log, clock):
        record = log(at(3, 10))
        assert timer(record, Metric.UPDATE).due_at == at(3, 12)

        clock.move_to(at(3, 11))
        comment(record, desk.agent)
        clock.move_to(at(3, 14))  # an hour late
        comment(record, desk.agent)

        first, second, third = timers(record, Metric.UPDATE)
        assert (first.state, first.stopped_at) == (TimerState.MET, at(3, 11))
        assert (second.started_at, second.due_at) == (at(3, 11), at(3, 13))
        assert (second.state, second.breached_at) == (TimerState.BREACHED, at(3, 13))
        assert (third.state, third.started_at, third.due_at) == (
            TimerState.RUNNING, at(3, 14), at(3, 16),
        )  # fmt: skip
        assert timer(record, FR).state == TimerState.MET
        shown = [t.pk for t in page_timers_of(record) if t.metric == Metric.UPDATE]
        assert shown == [third.pk]  # the record page shows the interval running now

    def test_work_notes_and_the_requesters_replies_do_not_count(self, desk, chatty, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 11))

        comment(record, desk.agent, visibility=Visibility.INTERNAL)
        comment(record, desk.requester, body="<p>Any news?</p>")

        (running,) = timers(record, Metric.UPDATE)
        assert (running.state, running.due_at) == (TimerState.RUNNING, at(3, 12))

    def test_a_reply_while_paused_starts_a_paused_interval(self, desk, chatty, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        clock.move_to(at(3, 15))
        comment(record, desk.agent)  # a reply while waiting for the customer

        paused = timers(record, Metric.UPDATE)[-1]
        assert (paused.state, paused.due_at) == (TimerState.PAUSED, None)

        clock.move_to(at(3, 16))
        transition(record, desk.agent, S.IN_PROGRESS)

        resumed = timers(record, Metric.UPDATE)[-1]
        assert resumed.pk == paused.pk
        assert (resumed.state, resumed.due_at) == (TimerState.RUNNING, at(3, 18))

    def test_resolving_stops_it_and_reopening_starts_a_new_one(self, desk, chatty, log, clock):
        record = log(at(3, 10))
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.RESOLVED)
        assert [t.state for t in timers(record, Metric.UPDATE)] == [TimerState.MET]

        clock.move_to(at(3, 17))
        transition(record, desk.agent, S.IN_PROGRESS)

        met, fresh = timers(record, Metric.UPDATE)
        assert met.state == TimerState.MET
        assert (fresh.state, fresh.started_at, fresh.due_at) == (
            TimerState.RUNNING, at(3, 17), at(4, 10),
        )  # fmt: skip

    def test_a_warning_rule_fires_once_per_interval(self, desk, chatty, log, clock):
        rule(metric=Metric.UPDATE, percent=75)
        record = log(at(3, 10))

        clock.move_to(at(3, 11, 31))
        sla.sweep()
        clock.move_to(at(3, 11, 40))
        comment(record, desk.agent)
        clock.move_to(at(3, 13, 11))
        sla.sweep()
        sla.sweep()

        first, second = timers(record, Metric.UPDATE)
        assert first.firings.count() == 1
        assert second.firings.count() == 1
