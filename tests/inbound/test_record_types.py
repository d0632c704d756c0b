"""New mail becomes the mailbox's record type (incidents or service requests), and replies
thread to any record type (requests, fulfilment tasks, problems, changes), through a real
Dovecot: delivered over IMAP, read by the poller."""

import pytest
from django.db import transaction

from accounts.roles import Role
from catalogue import services as catalogue
from catalogue.models import FulfilmentTask, RequestStatus, ServiceRequest, TaskTemplate
from inbound import services
from inbound.choices import MessageStatus
from inbound.forms import MailboxForm
from inbound.intake import remember
from inbound.models import InboundMessage, Watcher
from incidents.models import Incident
from servicedesk.models import Attachment, Comment, RecordLink, Visibility
from tests.catalogue.factories import ItemFactory, ServiceFactory
from tests.changes.factories import raise_change
from tests.factories import SupportGroupFactory, UserFactory
from tests.problems.factories import problem

pytestmark = pytest.mark.django_db


def message(sender, subject, body="Please help.", **headers):
    lines = [f"From: {sender}", "To: desk@example.test", f"Subject: {subject}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def deliver_and_poll(mailbox, raw):
    mailbox.account.deliver(raw)
    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 1
    return InboundMessage.objects.order_by("-pk").first()


@pytest.fixture
def agent():
    return UserFactory(role=Role.AGENT, email="agent@example.test", full_name="Arash Agent")


@pytest.fixture
def desk(agent):
    group = SupportGroupFactory(name="Service Desk")
    group.members.add(agent)
    return group


@pytest.fixture
def item(desk):
    service = ServiceFactory(name="Access", support_group=desk)
    item = ItemFactory(service=service, name="Access to a shared folder", approval_rule="none")
    TaskTemplate.objects.create(item=item, order=10, title="Grant access", support_group=desk)
    return item


@pytest.fixture
def request_mailbox(imap_mailbox, item, desk):
    imap_mailbox.record_type = "request"
    imap_mailbox.request_item = item
    imap_mailbox.support_group = desk
    imap_mailbox.save()
    return imap_mailbox


@pytest.fixture
def emma():
    return UserFactory(role=Role.END_USER, email="emma@client.example", full_name="Emma Wilson")


def test_new_mail_to_a_request_mailbox_becomes_a_service_request_for_its_item(
    request_mailbox, emma, item
):
    received = deliver_and_poll(
        request_mailbox,
        message(
            "Emma Wilson <emma@client.example>", "Access to the finance share",
            body="I need the finance share for the audit.", Cc="tom@client.example",
            Message_ID="<order-1@client.example>",
        ),
    )  # fmt: skip

    request = ServiceRequest.objects.get()
    assert received.status == MessageStatus.TICKET
    assert received.record_number == request.number and request.number.startswith("REQ")
    assert request.title == "Access to the finance share"
    assert request.requester == emma and request.item == item
    assert "finance share for the audit" in request.description
    assert request.status == RequestStatus.IN_FULFILMENT  # the item needs no approval
    assert FulfilmentTask.objects.filter(request=request).count() == 1
    assert Incident.objects.count() == 0
    files = Attachment.objects.filter(object_id=request.pk).values_list("filename", flat=True)
    assert list(files) == ["original-message.eml"]
    assert list(Watcher.objects.values_list("address", flat=True)) == ["tom@client.example"]


def test_the_requesters_reply_by_the_request_number_is_a_comment_on_it(request_mailbox, emma):
    deliver_and_poll(request_mailbox, message(emma.email, "Access to the finance share"))
    request = ServiceRequest.objects.get()

    received = deliver_and_poll(
        request_mailbox,
        message(emma.email, f"Re: [{request.number}] Access", body="It is urgent, thanks."),
    )

    assert received.status == MessageStatus.REPLY
    [comment] = Comment.objects.filter(object_id=request.pk, body__contains="urgent")
    assert comment.author == emma and comment.visibility == Visibility.PUBLIC
    assert ServiceRequest.objects.count() == 1


def test_a_reply_threads_to_a_request_by_in_reply_to(request_mailbox, emma):
    deliver_and_poll(request_mailbox, message(emma.email, "Access to the finance share"))
    request = ServiceRequest.objects.get()
    remember(request, "request-logged-1@desk.example.test", direction="out")

    deliver_and_poll(
        request_mailbox,
        message(
            emma.email, "Re: your order", body="Any news?",
            In_Reply_To="<request-logged-1@desk.example.test>",
        ),
    )  # fmt: skip

    assert Comment.objects.filter(object_id=request.pk, body__contains="Any news?").exists()


def test_a_reply_to_a_closed_request_opens_a_new_one_linked_to_it(request_mailbox, emma, agent):
    deliver_and_poll(request_mailbox, message(emma.email, "Access to the finance share"))
    request = ServiceRequest.objects.get()
    with transaction.atomic():
        catalogue.request_close(request_id=request.pk, actor=agent, note="Done.")

    received = deliver_and_poll(
        request_mailbox, message(emma.email, f"Re: [{request.number}] Access", body="Again")
    )

    new = ServiceRequest.objects.exclude(pk=request.pk).get()
    assert received.status == MessageStatus.TICKET and received.record_number == new.number
    assert RecordLink.objects.filter(source_id=new.pk, target_id=request.pk).exists()


def test_a_staff_reply_to_a_problem_is_a_work_note_on_it(imap_mailbox, agent):
    raised = problem(actor=agent)

    received = deliver_and_poll(
        imap_mailbox, message(agent.email, f"Re: [{raised.number}] VPN", body="Logs attached.")
    )

    assert received.status == MessageStatus.REPLY
    [comment] = Comment.objects.filter(object_id=raised.pk, body__contains="Logs attached")
    assert comment.author == agent and comment.visibility == Visibility.INTERNAL
    assert Incident.objects.count() == 0


def test_a_staff_reply_threads_to_a_change_by_in_reply_to(imap_mailbox, agent):
    change = raise_change(agent)
    remember(change, "change-9@desk.example.test", direction="out")

    deliver_and_poll(
        imap_mailbox,
        message(
            agent.email, "Re: the patch window", body="The vendor confirmed the patch.",
            References="<other@client.example> <change-9@desk.example.test>",
        ),
    )  # fmt: skip

    [comment] = Comment.objects.filter(object_id=change.pk, body__contains="vendor confirmed")
    assert comment.author == agent and comment.visibility == Visibility.INTERNAL


def test_a_reply_on_a_fulfilment_task_is_a_work_note_from_staff_and_a_new_record_otherwise(
    request_mailbox, emma, agent
):
    deliver_and_poll(request_mailbox, message(emma.email, "Access to the finance share"))
    task = FulfilmentTask.objects.get()

    deliver_and_poll(
        request_mailbox, message(agent.email, f"Re: [{task.number}] Grant", body="Granted.")
    )
    [note] = Comment.objects.filter(object_id=task.pk, body__contains="Granted.")
    assert note.author == agent and note.visibility == Visibility.INTERNAL

    # Tasks are internal: the requester (copied onto the task) cannot see it, so a reply by
    # its number opens a record of the mailbox's type linked to it, not a comment on it.
    received = deliver_and_poll(
        request_mailbox, message(emma.email, f"Re: [{task.number}] Grant", body="Thanks")
    )
    assert not Comment.objects.filter(object_id=task.pk, body__contains="Thanks").exists()
    new = ServiceRequest.objects.get(number=received.record_number)
    assert RecordLink.objects.filter(source_id=new.pk, target_id=task.pk).exists()


def test_an_end_user_guessing_a_problem_number_gets_a_new_incident_not_a_comment(
    imap_mailbox, agent, emma, desk
):
    imap_mailbox.support_group = desk
    imap_mailbox.save()
    raised = problem(actor=agent)

    received = deliver_and_poll(
        imap_mailbox, message(emma.email, f"Re: [{raised.number}] VPN", body="Me too")
    )

    assert not Comment.objects.filter(object_id=raised.pk).exists()
    incident = Incident.objects.get(number=received.record_number)
    assert incident.requester == emma
    assert RecordLink.objects.filter(source_id=incident.pk, target_id=raised.pk).exists()


def test_an_item_the_sender_may_not_order_fails_with_the_reason_and_nothing_half_saved(
    request_mailbox, emma, item
):
    item.is_active = False
    item.save()

    received = deliver_and_poll(request_mailbox, message(emma.email, "Access please"))

    assert received.status == MessageStatus.FAILED
    assert "cannot be ordered" in received.reason
    assert ServiceRequest.objects.count() == 0 and Attachment.objects.count() == 0


def test_the_mailbox_offers_only_the_types_a_channel_opens_and_a_request_needs_its_item(
    request_mailbox,
):
    form = MailboxForm(instance=request_mailbox)
    offered = [key for key, _label in form.fields["record_type"].choices]
    assert offered == ["incident", "request"]  # never problems, changes or tasks

    data = {**form.initial, "record_type": "request", "request_item": "", "secret": ""}
    data = {name: value for name, value in data.items() if value is not None}
    bound = MailboxForm(data=data, instance=request_mailbox)
    assert not bound.is_valid()
    assert bound.errors["request_item"] == ["Choose the request item new mail orders."]
    assert not MailboxForm(data={**data, "record_type": "problem"}).is_valid()
