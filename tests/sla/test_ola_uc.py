"""OLAs and underpinning contracts, end to end through the incident services and the sweep.

An OLA times each stretch a support group holds an incident: its clock starts when the group
gets the incident, stops (met or breached) when the group passes it on or it is resolved, and is
due on the OLA's own calendar. An underpinning contract times a catalogue service's supplier:
its clock runs while an incident of that service is pending on the supplier. Both breach and
escalate through the same sweep as SLA targets.

Own calendars (Monday to Friday 09:00-18:00 UTC, and around the clock); `at(day, hour)` is an
instant of March 2025 (Monday 3rd to Sunday 9th, Monday 10th).
"""

from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from incidents import services
from incidents.choices import IncidentStatus, PendingReason
from incidents.models import Incident
from servicedesk.models import AuditEvent, AuditKind, Notification, Visibility
from sla import services as sla
from sla.models import (
    AgreementKind,
    Calendar,
    EscalationFiring,
    Metric,
    SlaPolicy,
    SlaTarget,
    TimerState,
)
from tests.incidents.factories import (
    AgentFactory,
    ServiceFactory,
    SupportGroupFactory,
    incident,
    transition,
)
from tests.sla.factories import at, calendar_5x9, policy, rule, switch_off_defaults, timer, timers

pytestmark = pytest.mark.django_db

S = IncidentStatus
OLA, UC = Metric.GROUP_HOLD, Metric.SUPPLIER


def agreement(name, *, kind, metric, minutes, calendar, pause_on=(), **fields) -> SlaPolicy:
    created = SlaPolicy.objects.create(name=name, kind=kind, pause_on=list(pause_on), **fields)
    SlaTarget.objects.create(policy=created, metric=metric, minutes=minutes, calendar=calendar)
    return created


@pytest.fixture
def desk(db, clock):
    """Service Desk (OLA 120 business minutes on 5x9) and Network (OLA 30 minutes around the
    clock), each with an agent and a lead; an SLA for every incident; the Email service whose
    supplier Mailcorp has 60 business minutes (underpinning contract)."""
    switch_off_defaults()
    five_by_nine = calendar_5x9()
    always = Calendar.objects.create(name="Around the clock", always_open=True)
    agent, lead = AgentFactory(full_name="Arash Agent"), AgentFactory(full_name="Lena Lead")
    engineer = AgentFactory(full_name="Nima Network")
    network_lead = AgentFactory(full_name="Nora Lead", email="nora@example.com")
    desk_group = SupportGroupFactory(name="Service Desk", members=[agent], lead=lead)
    network = SupportGroupFactory(name="Network", members=[engineer], lead=network_lead)
    email = ServiceFactory(name="Email")
    return SimpleNamespace(
        agent=agent,
        engineer=engineer,
        network_lead=network_lead,
        desk_group=desk_group,
        network=network,
        email=email,
        calendar=five_by_nine,
        always=always,
        sla=policy("Standard", calendar=five_by_nine, pause_on=("customer", "supplier")),
        desk_ola=agreement(
            "Desk OLA", kind=AgreementKind.OLA, metric=OLA, minutes=120,
            calendar=five_by_nine, support_group=desk_group,
        ),
        network_ola=agreement(
            "Network OLA", kind=AgreementKind.OLA, metric=OLA, minutes=30,
            calendar=always, support_group=network,
        ),
        mailcorp=agreement(
            "Mailcorp UC", kind=AgreementKind.UC, metric=UC, minutes=60,
            calendar=five_by_nine, supplier="Mailcorp", service=email,
        ),
    )  # fmt: skip


def log(desk, clock, when, **fields):
    clock.move_to(when)
    fields.setdefault("support_group", desk.desk_group)
    return incident(actor=desk.agent, **fields)


def pass_on(record, desk, clock, when, group):
    clock.move_to(when)
    services.incident_assign(incident_id=record.pk, actor=desk.agent, support_group=group)


def answer(record, agent):
    with transaction.atomic():
        services.incident_comment(
            incident_id=record.pk, actor=agent, body="<p>Asked Mailcorp.</p>",
            visibility=Visibility.PUBLIC,
        )  # fmt: skip


def escalation_texts(record):
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident),
            object_id=record.pk,
            kind=AuditKind.ESCALATED,
        )
        .order_by("pk")
        .values_list("new_text", flat=True)
    )


class TestOla:
    def test_the_group_that_gets_the_incident_starts_its_clock_on_its_calendar(self, desk, clock):
        record = log(desk, clock, at(7, 17))  # Friday 17:00: one business hour left

        (hold,) = timers(record, OLA)
        assert (hold.policy, hold.state, hold.started_at) == (desk.desk_ola, "running", at(7, 17))
        assert hold.due_at == at(10, 10)  # 60 minutes on Friday, 60 on Monday

    def test_each_group_hold_is_its_own_segment_met_when_passed_on(self, desk, clock):
        record = log(desk, clock, at(3, 10))

        pass_on(record, desk, clock, at(3, 11), desk.network)

        first, second = timers(record, OLA)
        assert (first.policy, first.state, first.stopped_at) == (
            desk.desk_ola, TimerState.MET, at(3, 11),
        )  # fmt: skip
        assert (second.policy, second.state, second.started_at) == (
            desk.network_ola, TimerState.RUNNING, at(3, 11),
        )  # fmt: skip
        assert second.due_at == at(3, 11, 30)

        clock.move_to(at(3, 11, 20))
        transition(record, desk.engineer, S.RESOLVED)

        second = timers(record, OLA)[1]
        assert (second.state, second.stopped_at) == (TimerState.MET, at(3, 11, 20))

    def test_back_to_a_group_starts_a_new_segment_for_it(self, desk, clock):
        record = log(desk, clock, at(3, 10))
        pass_on(record, desk, clock, at(3, 10, 10), desk.network)
        pass_on(record, desk, clock, at(3, 10, 20), desk.desk_group)

        held = [(t.policy.name, t.state, t.started_at) for t in timers(record, OLA)]
        assert held == [
            ("Desk OLA", TimerState.MET, at(3, 10)),
            ("Network OLA", TimerState.MET, at(3, 10, 10)),
            ("Desk OLA", TimerState.RUNNING, at(3, 10, 20)),
        ]
        assert timers(record, OLA)[-1].due_at == at(3, 12, 20)  # a full 120 minutes again

    def test_a_breached_hold_escalates_once_and_stops_breached(self, desk, clock):
        lead_rule = rule("Network OLA half gone", metric=OLA, percent=50,
                         action="notify_group_lead", policy=desk.network_ola)  # fmt: skip
        record = log(desk, clock, at(3, 10), support_group=desk.network)
        assert timer(record, OLA).due_at == at(3, 10, 30)

        clock.move_to(at(3, 10, 45))
        fired = sla.sweep()
        assert sla.sweep() == 0  # nothing twice

        assert fired == 2  # the rule at 10:15 and the breach at 10:30
        hold = timer(record, OLA)
        assert (hold.state, hold.breached_at) == (TimerState.RUNNING, at(3, 10, 30))
        assert EscalationFiring.objects.get(timer=hold).rule == lead_rule
        assert "Time with one group (OLA) target breached" in escalation_texts(record)
        assert "Network OLA half gone" in escalation_texts(record)
        mail = Notification.objects.get(object_id=record.pk, kind="sla_escalation")
        assert mail.user_ids == [desk.network_lead.pk]

        pass_on(record, desk, clock, at(3, 11), desk.desk_group)

        passed = timers(record, OLA)[0]
        assert (passed.state, passed.stopped_at) == (TimerState.BREACHED, at(3, 11))

    def test_the_ola_runs_without_an_sla_with_the_customer(self, desk, clock):
        desk.sla.is_active = False
        desk.sla.save()
        record = log(desk, clock, at(3, 10))

        assert [t.metric for t in timers(record)] == [OLA]
        assert timer(record, OLA).due_at == at(3, 12)

    def test_a_group_without_an_ola_gets_no_clock(self, desk, clock):
        other = SupportGroupFactory(name="Facilities", members=[desk.agent])
        record = log(desk, clock, at(3, 10), support_group=other)
        assert timers(record, OLA) == []

    def test_a_hold_pauses_only_for_the_olas_own_reasons(self, desk, clock):
        desk.desk_ola.pause_on = ["customer"]
        desk.desk_ola.save()
        record = log(desk, clock, at(3, 10), assignee=desk.agent)
        clock.move_to(at(3, 10, 30))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.CUSTOMER)
        assert timer(record, OLA).state == TimerState.PAUSED
        clock.move_to(at(3, 11, 30))
        transition(record, desk.agent, S.IN_PROGRESS)

        assert timer(record, OLA).due_at == at(3, 13)  # the hour on hold not counted


class TestUnderpinningContract:
    def test_the_supplier_clock_runs_while_pending_on_the_supplier(self, desk, clock):
        record = log(desk, clock, at(3, 10), service=desk.email, assignee=desk.agent)
        assert timers(record, UC) == []

        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.SUPPLIER)

        supplier = timer(record, UC)
        assert (supplier.policy, supplier.state, supplier.started_at) == (
            desk.mailcorp, TimerState.RUNNING, at(3, 11),
        )  # fmt: skip
        assert supplier.due_at == at(3, 12)
        assert timer(record, Metric.RESOLUTION).state == TimerState.PAUSED  # the SLA waits

        clock.move_to(at(3, 11, 40))
        transition(record, desk.agent, S.IN_PROGRESS)

        supplier = timer(record, UC)
        assert (supplier.state, supplier.stopped_at) == (TimerState.MET, at(3, 11, 40))

    def test_a_late_supplier_breaches_and_escalates(self, desk, clock):
        rule("Chase Mailcorp", metric=UC, percent=100, action="notify_addresses",
             addresses="vendor-manager@example.com")  # fmt: skip
        desk.desk_ola.pause_on = ["supplier"]
        desk.desk_ola.save()
        record = log(desk, clock, at(3, 10), service=desk.email, assignee=desk.agent)
        answer(record, desk.agent)  # the first response met: only the supplier is late
        clock.move_to(at(3, 11))
        transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.SUPPLIER)

        assert timer(record, OLA).state == TimerState.PAUSED  # the desk waits on Mailcorp too

        clock.move_to(at(3, 12, 5))
        assert sla.sweep() == 2  # the breach and the rule, both at 12:00
        assert sla.sweep() == 0

        assert escalation_texts(record) == [
            "Time with the supplier (UC) target breached",
            "Chase Mailcorp",
        ]
        mail = Notification.objects.get(object_id=record.pk, kind="sla_escalation")
        assert mail.addresses == ["vendor-manager@example.com"]

        clock.move_to(at(3, 13))
        transition(record, desk.agent, S.RESOLVED)

        supplier = timer(record, UC)
        assert (supplier.state, supplier.breached_at, supplier.stopped_at) == (
            TimerState.BREACHED, at(3, 12), at(3, 13),
        )  # fmt: skip

    def test_other_services_and_other_reasons_start_no_supplier_clock(self, desk, clock):
        elsewhere = log(desk, clock, at(3, 10), service=ServiceFactory(), assignee=desk.agent)
        waiting_on_customer = log(desk, clock, at(3, 10), service=desk.email,
                                  assignee=desk.agent)  # fmt: skip
        clock.move_to(at(3, 11))
        transition(elsewhere, desk.agent, S.PENDING, pending_reason=PendingReason.SUPPLIER)
        transition(waiting_on_customer, desk.agent, S.PENDING,
                   pending_reason=PendingReason.CUSTOMER)  # fmt: skip

        assert timers(elsewhere, UC) == []
        assert timers(waiting_on_customer, UC) == []

    def test_each_wait_on_the_supplier_is_its_own_clock(self, desk, clock):
        record = log(desk, clock, at(3, 10), service=desk.email, assignee=desk.agent)
        for start, end in ((at(3, 11), at(3, 11, 30)), (at(3, 14), at(3, 14, 10))):
            clock.move_to(start)
            transition(record, desk.agent, S.PENDING, pending_reason=PendingReason.SUPPLIER)
            clock.move_to(end)
            transition(record, desk.agent, S.IN_PROGRESS)

        waits = [(t.state, t.started_at, t.stopped_at) for t in timers(record, UC)]
        assert waits == [
            (TimerState.MET, at(3, 11), at(3, 11, 30)),
            (TimerState.MET, at(3, 14), at(3, 14, 10)),
        ]
