"""Agents' in-app notifications, written from the kernel's record events in the writer's
transaction: assigned to you, the requester's reply, service-level warnings and breaches,
approvals waiting; marked read one by one or all; the bell and the list."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services as incidents
from live import selectors
from live import services as live
from live.models import Notification, NotificationKind
from servicedesk import announce as events
from servicedesk.actors import system_actor
from servicedesk.approvals import services as approvals
from servicedesk.services import record_create
from tests.factories import UserFactory
from tests.kernel.models import Ticket


@pytest.fixture
def desk(make_user):
    group = SupportGroup.objects.create(name="Service Desk")
    ana = make_user(Role.AGENT, full_name="Ana Agent", email="ana@example.com")
    ben = make_user(Role.AGENT, full_name="Ben Agent", email="ben@example.com")
    rita = make_user(Role.END_USER, full_name="Rita Requester")
    group.members.add(ana, ben)
    incident = incidents.incident_create(
        actor=ana, requester=rita, title="VPN drops", impact="low", urgency="low",
        support_group=group,
    )  # fmt: skip
    return group, ana, ben, rita, incident


def kinds(user):
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_the_new_assignee_hears_of_it_and_nobody_of_what_they_did(desk):
    group, ana, ben, _rita, incident = desk
    incidents.incident_assign(incident_id=incident.pk, actor=ana, support_group=group, assignee=ben)
    row = Notification.objects.get(recipient=ben)
    assert (row.kind, row.number, row.title, row.actor) == (
        NotificationKind.ASSIGNED, incident.number, "VPN drops", ana,
    )  # fmt: skip
    incidents.incident_take(incident_id=incident.pk, actor=ana, version=incident.version + 2)
    assert kinds(ana) == []  # she took it herself


def test_the_requesters_reply_reaches_the_assignee_but_notes_do_not(desk):
    group, ana, ben, rita, incident = desk
    incidents.incident_assign(incident_id=incident.pk, actor=ben, support_group=group, assignee=ana)
    incidents.incident_comment(incident_id=incident.pk, actor=rita, body="Still dropping")
    incidents.incident_comment(
        incident_id=incident.pk, actor=ben, body="Looking", visibility="internal"
    )
    assert sorted(kinds(ana)) == [NotificationKind.ASSIGNED, NotificationKind.REQUESTER_REPLY]
    assert Notification.objects.get(kind=NotificationKind.REQUESTER_REPLY).actor == rita


def test_service_level_warnings_and_breaches_reach_the_assignee(desk):
    group, ana, ben, _rita, incident = desk
    incidents.incident_assign(incident_id=incident.pk, actor=ana, support_group=group, assignee=ben)
    incident.refresh_from_db()
    with transaction.atomic():
        events.announce(record=incident, kind=events.SLA_WARNING, actor=system_actor(),
                        detail={"metric": "resolution", "rule": "75%"})  # fmt: skip
        events.announce(record=incident, kind=events.SLA_BREACH, actor=system_actor(),
                        detail={"metric": "resolution"})  # fmt: skip
    assert sorted(kinds(ben)) == sorted(
        [NotificationKind.ASSIGNED, NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH]
    )


def test_a_sweep_batch_rings_once_per_person_and_record_as_its_worst(desk):
    """The sweep announces a breach and each warning rule passed in one batch: the assignee's
    bell gets one notification for the record, the breach, not one per step."""
    group, ana, ben, _rita, incident = desk
    incidents.incident_assign(incident_id=incident.pk, actor=ana, support_group=group, assignee=ben)
    incident.refresh_from_db()
    warning = {"record": incident, "kind": events.SLA_WARNING, "actor": system_actor(),
               "detail": {"metric": "resolution", "rule": "75%"}}  # fmt: skip
    breach = {"record": incident, "kind": events.SLA_BREACH, "actor": system_actor(),
              "detail": {"metric": "resolution"}}  # fmt: skip
    with transaction.atomic():
        events.announce_many([warning, breach, {**warning, "detail": {"rule": "90%"}}])
    assert sorted(kinds(ben)) == sorted([NotificationKind.ASSIGNED, NotificationKind.SLA_BREACH])
    with transaction.atomic():
        events.announce_many([warning])
    assert NotificationKind.SLA_WARNING in kinds(ben)


def test_approvers_hear_of_an_approval_waiting(db):
    requester = UserFactory(role=Role.END_USER)
    approver, other = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    board = Group.objects.create(name="Board")
    board.user_set.add(approver)
    with transaction.atomic():
        ticket = record_create(model=Ticket, actor=requester,
                               fields={"requester": requester, "title": "New laptop"})  # fmt: skip
        approvals.approvals_request(
            record=ticket, actor=system_actor(), rule="group_any", group=board
        )
    assert kinds(approver) == [NotificationKind.APPROVAL]
    assert kinds(other) == []


def test_marking_read_touches_only_ones_own(desk, django_capture_on_commit_callbacks):
    group, ana, ben, _rita, incident = desk
    incidents.incident_assign(incident_id=incident.pk, actor=ana, support_group=group, assignee=ben)
    incidents.incident_assign(incident_id=incident.pk, actor=ben, support_group=group, assignee=ana)
    theirs = Notification.objects.get(recipient=ben)
    assert selectors.unread_count(ana) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert live.notifications_mark_read(actor=ana, ids=[theirs.pk]) == 0
        assert live.notifications_mark_read(actor=ana) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert selectors.unread_count(ana) == 0  # the cached count was forgotten


def test_the_bell_and_the_list(desk, client, django_assert_max_num_queries):
    group, ana, ben, _rita, incident = desk
    for _ in range(3):
        incidents.incident_assign(
            incident_id=incident.pk, actor=ana, support_group=group, assignee=ben
        )
        incidents.incident_assign(incident_id=incident.pk, actor=ana, support_group=group)
    client.force_login(ben)
    bell = client.get(reverse("live:bell"))
    assert bell.status_code == 200
    assert "3 unread notifications" in bell.text
    with django_assert_max_num_queries(8):  # no query per row
        page = client.get(reverse("live:notifications"))
    assert page.text.count(f'href="/incidents/{incident.number}/"') == 3
    response = client.post(reverse("live:mark_read"), {"all": "1"}, follow=True)
    assert "3 notifications marked read." in response.text
    assert not Notification.objects.filter(recipient=ben, read_at__isnull=True).exists()
    refused = client.post(reverse("live:mark_read"), {}, follow=True)
    assert "Choose the notifications to mark read." in refused.text


def test_an_end_user_has_no_bell(desk, client):
    _group, _ana, _ben, rita, _incident = desk
    client.force_login(rita)
    assert client.get(reverse("live:bell")).status_code == 403
    assert client.get(reverse("live:notifications")).status_code == 403


def test_a_work_note_naming_an_agent_mentions_them(desk, make_user):
    group, ana, ben, rita, incident = desk
    outsider = make_user(Role.END_USER, email="cyd@example.com")
    incidents.incident_comment(
        incident_id=incident.pk, actor=ana, visibility="internal",
        body="<p>@ben can you check the gateway? cc @cyd @ana and @nobody, mail ben@example.com</p>",
    )  # fmt: skip
    assert kinds(ben) == [NotificationKind.MENTION]
    assert kinds(ana) == [] and kinds(outsider) == []  # not oneself, not an end user
    incidents.incident_comment(incident_id=incident.pk, actor=rita, body="Thanks @ben")
    assert kinds(ben) == [NotificationKind.MENTION]  # public replies mention nobody


def test_a_record_logged_for_someone_tells_them(desk):
    group, ana, ben, rita, _incident = desk
    logged = incidents.incident_create(
        actor=ana, requester=rita, title="Screen flickers", impact="low", urgency="low",
        support_group=group, assignee=ben,
    )  # fmt: skip
    assert Notification.objects.get(recipient=ben).number == logged.number
    incidents.incident_create(
        actor=ana, title="Mine", impact="low", urgency="low", support_group=group, assignee=ana
    )
    assert kinds(ana) == []
