"""Outgoing mail threads: a real SMTP server (aiosmtpd) receives what the outbox sends, and a
reply to it comes back through a real IMAP server onto the same record."""

import email
from email import policy

import pytest

from inbound import services
from inbound.models import MessageRef
from incidents import services as incidents
from incidents.models import Incident
from servicedesk.notifications import deliver_pending
from tests.inbound.conftest import corpus
from tests.incidents.factories import AgentFactory, SupportGroupFactory

pytestmark = pytest.mark.django_db


def received(smtp_server, address):
    found = []
    for envelope in smtp_server.messages:
        if address in envelope.rcpt_tos:
            found.append(email.message_from_bytes(envelope.content, policy=policy.default))
    return found


@pytest.fixture
def agent():
    return AgentFactory(email="agent@example.test")


@pytest.fixture
def mailbox(imap_mailbox, agent):
    imap_mailbox.support_group = SupportGroupFactory(members=[agent])
    imap_mailbox.save()
    return imap_mailbox


def test_an_agents_reply_goes_to_the_requester_and_watchers_and_its_answer_threads_back(
    mailbox, agent, smtp_server
):
    mailbox.account.deliver(corpus("outlook_html_inline_image.eml"))
    services.mailbox_poll(mailbox_id=mailbox.pk)
    incident = Incident.objects.get()
    deliver_pending()  # "we have logged your incident"
    smtp_server.messages.clear()

    incidents.incident_comment(
        incident_id=incident.pk, actor=agent, body="<p>Restarting the print server.</p>"
    )
    deliver_pending()

    [to_requester] = received(smtp_server, "sara@client.example")
    assert received(smtp_server, "tom@client.example")  # a watcher (Cc of the first mail)
    assert received(smtp_server, "ana@client.example")
    assert f"[{incident.number}]" in to_requester["Subject"]
    assert to_requester["Auto-Submitted"] == "auto-generated"
    assert to_requester["Reply-To"] == "desk@example.test"
    original = "<AM0PR01MB1234.outlook.example@client.example>"
    assert original in to_requester["References"]
    message_id = to_requester["Message-ID"].strip("<>")
    assert MessageRef.objects.filter(message_id=message_id, direction="out").exists()

    answer = (
        "From: Sara Client <sara@client.example>\r\nTo: desk@example.test\r\n"
        "Subject: thanks\r\nMessage-ID: <answer-1@client.example>\r\n"
        f"In-Reply-To: <{message_id}>\r\n\r\nThat fixed it.\r\n\r\n> Restarting the print server.\r\n"
    ).encode()
    mailbox.account.deliver(answer)
    services.mailbox_poll(mailbox_id=mailbox.pk)

    assert Incident.objects.count() == 1  # no subject number: threaded by In-Reply-To
    last = incident.__class__.objects.get(pk=incident.pk)
    from servicedesk.models import Comment

    comment = Comment.objects.filter(object_id=last.pk).order_by("-pk").first()
    assert comment.author.email == "sara@client.example"
    assert "That fixed it." in comment.body and "Restarting" not in comment.body


def test_the_desks_own_notification_coming_back_is_dropped(mailbox, smtp_server):
    mailbox.account.deliver(corpus("gmail_alternative_html.eml"))
    services.mailbox_poll(mailbox_id=mailbox.pk)
    deliver_pending()
    [sent] = received(smtp_server, "juergen@mail.example")

    mailbox.account.deliver(sent.as_bytes())  # e.g. the requester's server forwards it back
    services.mailbox_poll(mailbox_id=mailbox.pk)

    from inbound.models import InboundMessage

    looped = InboundMessage.objects.order_by("-pk").first()
    assert looped.status == "ignored"


def test_a_polite_refusal_is_marked_as_an_automatic_reply_to_the_message(mailbox, smtp_server):
    mailbox.unknown_senders = "refuse"
    mailbox.save()
    mailbox.account.deliver(corpus("html_only.eml"))
    services.mailbox_poll(mailbox_id=mailbox.pk)
    deliver_pending()

    [refusal] = received(smtp_server, "web@shop.example")
    assert refusal["Auto-Submitted"] == "auto-replied"
    assert refusal["In-Reply-To"] == "<html-only-1@shop.example>"
