"""The kernel's work services (servicedesk/services/work.py) on the test Ticket, a record type
registered in a few lines (tests/kernel/apps.py): who may work it, assign and take with the
version check, replies with the first response and the SLA clock, files, and the refusals on a
final state. The type's hooks come from its registry declaration."""

from dataclasses import replace

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.roles import Role
from servicedesk import registry
from servicedesk import services as kernel
from servicedesk.actors import ActorRequired
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditEvent, Comment, Visibility
from sla.models import Calendar, SlaPolicy, SlaTarget, SlaTimer, TimerState
from tests.factories import SupportGroupFactory
from tests.kernel import hooks
from tests.kernel.models import Ticket, TicketStatus
from tests.servicedesk.helpers import PDF_BYTES, upload

pytestmark = pytest.mark.django_db


def _worker(make_user, **fields):
    """An agent who may work tickets (the type's `work_permission`)."""
    person = make_user(Role.AGENT, **fields)
    person.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    return type(person).objects.get(pk=person.pk)  # a fresh permission cache


@pytest.fixture
def worker(make_user):
    return _worker(make_user, full_name="Wanda Worker")


@pytest.fixture
def other_worker(make_user):
    return _worker(make_user, full_name="Otto Other")


@pytest.fixture
def team(worker, other_worker):
    group = SupportGroupFactory(name="Facilities")
    group.members.add(worker, other_worker)
    return group


@pytest.fixture
def ticket(end_user, team):
    with transaction.atomic():
        return kernel.record_create(
            model=Ticket,
            actor=end_user,
            fields={"title": "Door sticks", "requester": end_user, "support_group": team},
        )


@pytest.fixture
def hooked():
    """The Ticket type with hooks declared, put back afterwards."""
    original = registry.get("ticket")
    registry.register(
        replace(
            original,
            on_assigned="tests.kernel.hooks.assigned",
            on_agent_reply="tests.kernel.hooks.agent_replied",
            on_requester_reply="tests.kernel.hooks.requester_replied",
        )
    )
    hooks.CALLS.clear()
    yield hooks.CALLS
    registry.register(original)
    hooks.CALLS.clear()


def stored(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _close(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)


# --- Staff checks ---------------------------------------------------------------------------------


def test_only_those_with_the_type_s_work_permission_work_it(ticket, worker, end_user, agent):
    kernel.ensure_can_work(worker, model=Ticket)
    for person in (end_user, agent):  # an agent without the ticket permission is not its staff
        with pytest.raises(PermissionDenied):
            kernel.ensure_can_work(person, model=Ticket)
    with pytest.raises(ActorRequired):
        kernel.ensure_can_work(None, model=Ticket)


def test_an_end_user_cannot_assign_or_take(ticket, end_user, team):
    with pytest.raises(PermissionDenied):
        kernel.record_assign(model=Ticket, record_id=ticket.pk, actor=end_user, support_group=team)
    with pytest.raises(PermissionDenied):
        kernel.record_take(model=Ticket, record_id=ticket.pk, actor=end_user)
    assert (stored(ticket).assignee, stored(ticket).version) == (None, 1)


# --- Assign and take ------------------------------------------------------------------------------


def test_assign_audits_agent_only_bumps_the_version_and_calls_the_hook(
    ticket, worker, team, hooked
):
    kernel.record_assign(
        model=Ticket, record_id=ticket.pk, actor=worker, support_group=team, assignee=worker,
        version=1,
    )  # fmt: skip
    after = stored(ticket)
    assert (after.assignee, after.version) == (worker, 2)
    event = AuditEvent.objects.get(object_id=ticket.pk, field="assignee")
    assert event.public is False
    assert hooked == [("assigned", ticket.number, worker.pk, (team.pk, None))]


def test_assigning_what_it_has_changes_nothing(ticket, worker, team, hooked):
    kernel.record_assign(model=Ticket, record_id=ticket.pk, actor=worker, support_group=team)
    assert stored(ticket).version == 1
    assert hooked == []


def test_assign_with_a_stale_version_is_refused_and_changes_nothing(ticket, worker, team):
    Ticket.objects.filter(pk=ticket.pk).update(version=2)
    with pytest.raises(StaleVersion):
        kernel.record_assign(
            model=Ticket, record_id=ticket.pk, actor=worker, support_group=team,
            assignee=worker, version=1,
        )  # fmt: skip
    assert stored(ticket).assignee is None


def test_assign_refuses_a_person_outside_the_group_and_a_missing_group(ticket, worker, make_user):
    outsider = _worker(make_user)
    with pytest.raises(ValidationError) as error:
        kernel.record_assign(
            model=Ticket, record_id=ticket.pk, actor=worker,
            support_group=ticket.support_group, assignee=outsider,
        )  # fmt: skip
    assert list(error.value.message_dict) == ["assignee"]
    with pytest.raises(ValidationError) as error:
        kernel.record_assign(model=Ticket, record_id=ticket.pk, actor=worker, support_group=None)
    assert list(error.value.message_dict) == ["support_group"]
    kernel.record_assign(
        model=Ticket, record_id=ticket.pk, actor=worker, support_group=None, assignee=worker,
        keep_group=True,
    )  # fmt: skip
    assert (stored(ticket).support_group, stored(ticket).assignee) == (ticket.support_group, worker)


def test_take_an_unassigned_ticket_needs_no_version(ticket, worker):
    kernel.record_take(model=Ticket, record_id=ticket.pk, actor=worker)
    assert stored(ticket).assignee == worker


def test_taking_over_needs_the_current_version(ticket, worker, other_worker):
    kernel.record_take(model=Ticket, record_id=ticket.pk, actor=worker)
    held = stored(ticket)
    with pytest.raises(StaleVersion) as refused:  # without a version: never silently
        kernel.record_take(model=Ticket, record_id=ticket.pk, actor=other_worker)
    assert "Wanda Worker" in str(refused.value)
    with pytest.raises(StaleVersion):  # with an old one
        kernel.record_take(
            model=Ticket, record_id=ticket.pk, actor=other_worker, version=held.version - 1
        )
    assert stored(ticket).assignee == worker
    kernel.record_take(model=Ticket, record_id=ticket.pk, actor=other_worker, version=held.version)
    assert stored(ticket).assignee == other_worker


def test_take_uses_the_actor_s_own_group_or_refuses_without_one(ticket, make_user):
    elsewhere = _worker(make_user)
    own = SupportGroupFactory(name="Another team")
    own.members.add(elsewhere)
    kernel.record_take(model=Ticket, record_id=ticket.pk, actor=elsewhere)
    assert (stored(ticket).support_group, stored(ticket).assignee) == (own, elsewhere)
    loner = _worker(make_user)
    with pytest.raises(ValidationError) as error:
        kernel.record_take(
            model=Ticket, record_id=ticket.pk, actor=loner, version=stored(ticket).version
        )
    assert error.value.message_dict == {"assignee": ["You are not a member of any support group."]}


# --- Final states ---------------------------------------------------------------------------------


def test_a_final_ticket_is_neither_assigned_taken_given_files_nor_comments(
    ticket, worker, team, end_user
):
    _close(ticket)
    calls = [
        lambda: kernel.record_assign(
            model=Ticket, record_id=ticket.pk, actor=worker, support_group=team, assignee=worker
        ),
        lambda: kernel.record_take(model=Ticket, record_id=ticket.pk, actor=worker),
        lambda: kernel.record_attach(
            model=Ticket,
            record_id=ticket.pk,
            actor=end_user,
            file=upload("a.pdf", PDF_BYTES, "application/pdf"),
        ),  # fmt: skip
        lambda: kernel.record_comment(
            model=Ticket, record_id=ticket.pk, actor=end_user, body="Still broken"
        ),
    ]
    for call in calls:
        with pytest.raises(TransitionNotAllowed) as refused:
            call()
        assert str(refused.value) == f"{ticket.number} is closed and can no longer be changed."
    assert not Comment.objects.filter(object_id=ticket.pk).exists()
    assert stored(ticket).assignee is None


def test_a_type_may_close_comments_in_states_of_its_choice(ticket, worker):
    with pytest.raises(TransitionNotAllowed) as refused:
        kernel.record_comment(
            model=Ticket, record_id=ticket.pk, actor=worker, body="Hello",
            closed_in=(TicketStatus.NEW,), closed_message="%(number)s takes no comments now.",
        )  # fmt: skip
    assert str(refused.value) == f"{ticket.number} takes no comments now."


# --- Replies, the first response and the SLA clock -----------------------------------------------


@pytest.fixture
def ticket_timers(ticket):
    policy = SlaPolicy.objects.create(name="Tickets", kind="sla", record_type="ticket")
    calendar = Calendar.objects.get(always_open=True)
    SlaTarget.objects.create(policy=policy, metric="first_response", minutes=60, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric="resolution", minutes=480, calendar=calendar)
    from sla import services as sla

    sla.start_timers(ticket, record_type="ticket")
    return SlaTimer.objects.filter(object_id=ticket.pk, content_type__model="ticket")


def test_the_first_public_staff_reply_is_the_first_response(ticket, worker, ticket_timers, hooked):
    kernel.record_comment(
        model=Ticket, record_id=ticket.pk, actor=worker, body="Looking", visibility="internal"
    )
    assert stored(ticket).first_responded_at is None  # a work note is no response
    assert ticket_timers.get(metric="first_response").state == TimerState.RUNNING
    reply = kernel.record_comment(model=Ticket, record_id=ticket.pk, actor=worker, body="On my way")
    assert stored(ticket).first_responded_at == reply.created_at
    states = dict(ticket_timers.values_list("metric", "state"))
    assert states == {"first_response": TimerState.MET, "resolution": TimerState.RUNNING}
    later = kernel.record_comment(model=Ticket, record_id=ticket.pk, actor=worker, body="Done")
    assert stored(ticket).first_responded_at == reply.created_at  # the first one stays
    assert hooked == [
        ("agent_reply", ticket.number, worker.pk, reply.pk),
        ("agent_reply", ticket.number, worker.pk, later.pk),
    ]


def test_a_requester_replies_publicly_on_their_own_ticket_only(
    ticket, end_user, make_user, ticket_timers, hooked
):
    reply = kernel.record_comment(
        model=Ticket, record_id=ticket.pk, actor=end_user, body="It squeaks", visibility="internal"
    )
    assert reply.visibility == Visibility.PUBLIC
    assert stored(ticket).first_responded_at is None  # the requester is not the desk
    assert ticket_timers.get(metric="first_response").state == TimerState.RUNNING
    assert hooked == [("requester_reply", ticket.number, end_user.pk, reply.pk)]
    with pytest.raises(PermissionDenied):
        kernel.record_comment(
            model=Ticket, record_id=ticket.pk, actor=make_user(), body="Me too",
            not_yours="Not your ticket.",
        )  # fmt: skip


def test_files_from_a_requester_are_public_and_others_refused(ticket, end_user, make_user, worker):
    pdf = upload("note.pdf", PDF_BYTES, "application/pdf")
    mine = kernel.record_attach(
        model=Ticket, record_id=ticket.pk, actor=end_user, file=pdf, visibility="internal"
    )
    assert mine.visibility == Visibility.PUBLIC
    internal = kernel.record_attach(
        model=Ticket, record_id=ticket.pk, actor=worker,
        file=upload("plan.pdf", PDF_BYTES, "application/pdf"), visibility="internal",
    )  # fmt: skip
    assert internal.visibility == Visibility.INTERNAL
    with pytest.raises(PermissionDenied):
        kernel.record_attach(
            model=Ticket, record_id=ticket.pk, actor=make_user(),
            file=upload("x.pdf", PDF_BYTES, "application/pdf"),
        )  # fmt: skip
