"""Every e-mail of the request process renders and goes to the right people."""

import pytest
from django.core import mail

from catalogue import services
from catalogue.models import TaskStatus
from servicedesk.models import Notification
from servicedesk.notifications import deliver_pending
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup


@pytest.fixture
def world(db):
    world = laptop_setup()
    world.hardware.email = "hardware@example.com"
    world.hardware.save()
    world.desk.lead = world.agent
    world.desk.save()
    return world


def sent_to(address):
    return [m.subject for m in mail.outbox if address in m.to]


def test_the_whole_process_mails_requester_approver_and_groups(world):
    record = services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)
    services.approval_decide(approval_id=record.approvals.get().pk, actor=world.boss, approve=True)
    for task in record.tasks.order_by("order"):
        services.task_transition(task_id=task.pk, actor=world.agent, target=TaskStatus.DONE)

    deliver_pending()

    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    number = record.number
    assert sent_to(world.requester.email) == [
        f"[{number}] We have your request: Laptop",
        f"[{number}] Approved: we are working on it",
        f"[{number}] Your request is fulfilled",
    ]
    assert sent_to(world.boss.email) == [f"[{number}] Your approval is needed: Laptop"]
    assert len(sent_to("hardware@example.com")) == 1  # the first task, to the team address
    assert len(sent_to(world.agent.email)) == 1  # the second, to the lead of a team without one
    approval_mail = next(m for m in mail.outbox if world.boss.email in m.to)
    assert "/portal/approve/" in approval_mail.body and "16-inch" not in approval_mail.body
    assert "14-inch" in approval_mail.body


def test_a_rejection_tells_the_requester_why(world):
    record = services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)
    services.approval_decide(
        approval_id=record.approvals.get().pk, actor=world.boss, approve=False,
        comment="We replace laptops after four years.",
    )  # fmt: skip
    deliver_pending()
    rejected = [m for m in mail.outbox if "not approved" in m.subject]
    assert len(rejected) == 1 and "four years" in rejected[0].body
