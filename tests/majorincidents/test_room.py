"""The major-incident room: the communications plan, posting an update (who hears of it, in
which language, what the status page shows), child incidents, the reminder and who may act."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from incidents import services as incident_services
from incidents.models import Incident
from majorincidents import selectors, services
from majorincidents.models import CommunicationPlan, ServiceStatus, StatusSubscription, StatusUpdate
from servicedesk.models import AuditEvent, Notification, RecordLink
from servicedesk.notifications import renderer_for
from servicedesk.selectors import link_label
from servicedesk.templatetags.servicedesk import audit_field_label

pytestmark = pytest.mark.django_db


def _messages(notification):
    return list(renderer_for(notification)(notification))


def test_affected_users_come_from_the_cmdb_impact_walk(desk):
    services_reached = selectors.affected_services(desk["major"])
    assert [s.name for s in services_reached] == ["Payroll"]
    ids = set(selectors.affected_user_ids(desk["major"]))
    assert {u.pk for u in desk["users"]} <= ids
    assert desk["outsider"].pk not in ids, "a user of another service is not affected"


def test_an_update_reaches_each_audience_once_in_their_language(desk, make_user):
    agent, payroll = desk["agent"], desk["payroll"]
    boss = make_user(Role.DESK_MANAGER, email="boss@example.com", full_name="Big Boss")
    follower = make_user(Role.END_USER, email="fan@example.com", full_name="Fan")
    StatusSubscription.objects.create(service=payroll, user=follower, confirmed=True)
    StatusSubscription.objects.create(service=payroll, email="unconfirmed@example.net")
    StatusSubscription.objects.create(service=payroll, email="press@example.net", confirmed=True)
    # one affected user subscribes too: they get one e-mail, not two
    StatusSubscription.objects.create(service=payroll, user=desk["users"][0], confirmed=True)
    services.plan_save(
        incident=desk["major"],
        actor=agent,
        update_interval=30,
        people=[boss],
        addresses=["cio@example.org"],
        template_stakeholders="Internal briefing.",
    )

    update = services.update_post(
        incident=desk["major"], actor=agent, text="Payroll is down; we restore the database.",
        health="major_outage",
    )  # fmt: skip

    assert update.service == payroll
    assert ServiceStatus.objects.get(service=payroll).health == "major_outage"
    rows = {n.kind: n for n in Notification.objects.filter(kind__startswith="major_")}
    assert set(rows["major_update_stakeholders"].user_ids) == {boss.pk}
    assert rows["major_update_stakeholders"].addresses == ["cio@example.org"]
    assert set(rows["major_update_affected"].user_ids) == {u.pk for u in desk["users"]}
    assert rows["major_update_subscribers"].user_ids == [follower.pk]
    assert rows["major_update_subscribers"].addresses == ["press@example.net"]
    assert update.recipients == 6

    subjects = {
        address: subject for address, subject, _body in _messages(rows["major_update_affected"])
    }
    assert "Payroll" in subjects["user1@example.com"]
    stake = _messages(rows["major_update_stakeholders"])
    assert all("Internal briefing." in body for _a, _s, body in stake)
    subs = dict((a, b) for a, _s, b in _messages(rows["major_update_subscribers"]))
    assert "/public/status/stop/" in subs["press@example.net"]

    plan = CommunicationPlan.objects.get(incident=desk["major"])
    assert plan.next_update_due == update.created_at + timedelta(minutes=30)
    event = AuditEvent.objects.filter(field="service_status").get()
    assert event.actor == agent and event.public is False
    assert event.new_value == "major_outage" and "6 recipients" in event.note


def test_an_update_is_refused_with_a_reason_and_nothing_saved(desk, end_user):
    with pytest.raises(ValidationError) as error:
        services.update_post(incident=desk["major"], actor=desk["agent"], text=" ", health="x")
    assert set(error.value.message_dict) == {"text", "health"}
    with pytest.raises(PermissionDenied):
        services.update_post(incident=desk["major"], actor=end_user, text="hi", health="degraded")
    with transaction.atomic():
        minor = incident_services.incident_create(
            actor=desk["agent"],
            title="Small",
            impact="low",
            urgency="low",
            support_group=desk["group"],
        )
    with pytest.raises(ValidationError, match="not a major incident"):
        services.update_post(incident=minor, actor=desk["agent"], text="hi", health="degraded")
    assert not StatusUpdate.objects.exists()
    assert not Notification.objects.filter(kind__startswith="major_").exists()
    assert not ServiceStatus.objects.exists()


def test_the_plan_refuses_a_bad_interval_and_address(desk):
    with pytest.raises(ValidationError) as error:
        services.plan_save(
            incident=desk["major"], actor=desk["agent"], update_interval=1, addresses=["nope"]
        )
    assert set(error.value.message_dict) == {"update_interval", "addresses"}
    assert not CommunicationPlan.objects.exists()


def test_children_are_linked_from_the_room_and_listed(desk):
    with transaction.atomic():
        child = incident_services.incident_create(
            actor=desk["users"][0],
            title="Cannot see payslip",
            impact="low",
            urgency="low",
            service=desk["payroll"],
        )
    services.child_link(incident=desk["major"], actor=desk["agent"], number=child.number.lower())
    link = RecordLink.objects.get()
    assert (link.kind, link.source_id, link.target_id) == ("parent_of", desk["major"].pk, child.pk)
    assert child in selectors.children(desk["major"])
    with pytest.raises(ValidationError):
        services.child_link(incident=desk["major"], actor=desk["agent"], number="INC9999999")


def test_the_timeline_of_decisions_names_a_linked_child_not_a_raw_field(client, desk):
    """A child linked from the room shows as "Linked: parent of INC…" (the kernel timeline's
    words), never the audit row's raw field name "link"; elsewhere that field has a label."""
    with transaction.atomic():
        child = incident_services.incident_create(
            actor=desk["users"][0], title="Payslip blank", impact="low", urgency="low",
            service=desk["payroll"],
        )  # fmt: skip
    services.child_link(incident=desk["major"], actor=desk["agent"], number=child.number)
    client.force_login(desk["agent"])
    page = client.get(reverse("majorincidents:room", args=[desk["major"].number])).content.decode()
    decisions = page[page.index('id="decisions"') :]
    assert f"Linked: {link_label('parent_of', reverse=False)} {child.number}" in decisions
    assert "<em>link</em>" not in decisions
    event = AuditEvent.objects.get(object_id=desk["major"].pk, kind="linked")
    assert audit_field_label(event) == "linked record"


def test_the_reminder_fires_once_per_due_time(desk):
    plan = services.plan_save(incident=desk["major"], actor=desk["agent"], update_interval=15)
    later = timezone.now() + timedelta(minutes=1)
    assert plan.next_update_due <= later
    from servicedesk.actors import system_actor

    assert services.reminders_send(actor=system_actor(), now=later) == 1
    assert services.reminders_send(actor=system_actor(), now=later) == 0
    reminder = Notification.objects.get(kind="major_update_due")
    assert reminder.user_ids == [desk["agent"].pk]
    assert desk["major"].number in _messages(reminder)[0][1]
    services.update_post(incident=desk["major"], actor=desk["agent"], text="x", health="degraded")
    assert services.reminders_send(actor=system_actor(), now=later) == 0, "not due any more"
    much_later = timezone.now() + timedelta(minutes=20)
    assert services.reminders_send(actor=system_actor(), now=much_later) == 1


def test_the_room_page_posts_an_update_and_the_incident_page_links_to_it(client, desk):
    client.force_login(desk["agent"])
    number = desk["major"].number
    page = client.get(reverse("incidents:detail", args=[number]))
    assert reverse("majorincidents:room", args=[number]) in page.content.decode()
    response = client.post(
        reverse("majorincidents:update", args=[number]),
        {"text": "Restoring.", "health": "partial_outage", "to_affected": "on"},
        follow=True,
    )
    assert "Update posted: 2 e-mails" in response.content.decode()
    assert StatusUpdate.objects.get().to_subscribers is False
    bad = client.post(
        reverse("majorincidents:update", args=[number]), {"text": "", "health": "degraded"}
    )
    assert bad.status_code == 400
    listing = client.get(reverse("majorincidents:list"))
    assert number in listing.content.decode()


def test_end_users_cannot_open_the_room(client, desk):
    client.force_login(desk["users"][0])
    number = desk["major"].number
    assert client.get(reverse("majorincidents:room", args=[number])).status_code == 403
    page = client.get(reverse("incidents:detail", args=[number]))
    assert page.status_code in (403, 404)


def test_the_room_panel_is_only_on_major_incidents(rf, desk, django_assert_num_queries):
    request = rf.get("/")
    request.user = desk["agent"]
    services.plan_save(incident=desk["major"], actor=desk["agent"], update_interval=20)
    update = services.update_post(
        incident=desk["major"], actor=desk["agent"], text="x", health="degraded"
    )
    request.user = type(desk["agent"]).objects.get(pk=desk["agent"].pk)
    request.user.has_perm("x")  # the permission cache, filled once per request anyway
    with django_assert_num_queries(1):
        panel = selectors.record_panel_context(request, record=desk["major"])
    assert panel["last_update"] == update.created_at
    assert panel["next_due"] == update.created_at + timedelta(minutes=20)
    minor = Incident.objects.exclude(pk=desk["major"].pk).first()
    with django_assert_num_queries(0):
        assert selectors.record_panel_context(request, record=minor) is None
    ct = ContentType.objects.get_for_model(Incident)
    assert ct  # the panel never serves other record types


def test_the_beat_task_sends_the_due_reminders_as_the_system_actor(desk):
    from majorincidents.tasks import update_reminders_task

    CommunicationPlan.objects.create(
        incident=desk["major"], update_interval=10, next_update_due=timezone.now()
    )
    assert update_reminders_task() == 1
    assert update_reminders_task() == 0


def test_an_incident_that_is_over_only_takes_an_operational_update(desk):
    Incident.objects.filter(pk=desk["major"].pk).update(status="resolved")
    with pytest.raises(ValidationError) as error:
        services.update_post(
            incident=desk["major"], actor=desk["agent"], text="x", health="degraded"
        )
    assert "health" in error.value.message_dict
    update = services.update_post(
        incident=desk["major"], actor=desk["agent"], text="Back to normal.", health="operational"
    )
    assert ServiceStatus.objects.get(service=desk["payroll"]).health == "operational"
    assert update.on_status_page
