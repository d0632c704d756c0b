"""What a message becomes, through the same services as the pages: new incidents, replies,
reopening, staff notes, loops and junk ignored, refusals with a polite reply, failed intake
kept with its error and retried."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from inbound import services
from inbound.choices import MessageStatus
from inbound.intake import remember
from inbound.models import BouncedAddress, IgnoreRule, InboundMessage, Mailbox
from incidents.choices import IncidentStatus
from incidents.models import Incident
from servicedesk.models import Comment, RecordLink
from servicedesk.notifications import deliver_pending
from tests.factories import UserFactory
from tests.inbound.conftest import corpus
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory(email="agent@example.test", full_name="Arash Agent")


@pytest.fixture
def mailbox(agent):
    return Mailbox.objects.create(
        name="support",
        protocol="pipe",
        support_group=SupportGroupFactory(members=[agent]),
        reply_address="desk@example.test",
        staff_note_marker="#internal",
    )


def message(sender="sara@client.example", subject="Printer jams", body="It jams.", **headers):
    lines = [f"From: {sender}", "To: desk@example.test", f"Subject: {subject}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def receive(mailbox, raw):
    return services.message_receive(mailbox=mailbox, raw=raw)


def test_a_known_sender_becomes_the_requester(mailbox):
    person = UserFactory(email="sara@client.example", role=Role.END_USER)
    received = receive(mailbox, message(Message_ID="<a1@client.example>"))
    incident = Incident.objects.get()
    assert incident.requester == person
    assert received.status == MessageStatus.TICKET
    assert incident.priority  # from the matrix with the mailbox's impact and urgency


def test_an_unknown_sender_is_refused_politely_when_the_mailbox_says_so(mailbox):
    mailbox.unknown_senders = "refuse"
    mailbox.save()
    received = receive(mailbox, message(sender="stranger@else.example"))
    assert received.status == MessageStatus.REFUSED
    assert "no active account" in received.reason
    assert not Incident.objects.exists()
    deliver_pending()
    [reply] = mail.outbox
    assert reply.to == ["stranger@else.example"]
    assert "Printer jams" in reply.subject


def test_a_reply_by_the_record_number_in_the_subject_is_a_comment_from_the_requester(mailbox):
    receive(mailbox, message(Message_ID="<first@client.example>"))
    incident = Incident.objects.get()
    receive(mailbox, message(subject=f"Re: [{incident.number}] Printer jams", body="Still jams."))
    [comment] = Comment.objects.filter(object_id=incident.pk)
    assert comment.author == incident.requester
    assert "Still jams." in comment.body


def test_a_reply_to_a_message_the_desk_sent_threads_by_in_reply_to(mailbox):
    receive(mailbox, message(Message_ID="<first@client.example>"))
    incident = Incident.objects.get()
    remember(incident, "notification-7@desk.example.test", direction="out")
    receive(
        mailbox,
        message(
            subject="Re: your ticket",
            body="Thanks",
            In_Reply_To="<notification-7@desk.example.test>",
        ),
    )
    assert Incident.objects.count() == 1
    assert Comment.objects.filter(object_id=incident.pk).count() == 1


def test_a_staff_reply_with_the_marker_is_an_internal_note(mailbox, agent):
    receive(mailbox, message(Message_ID="<first@client.example>"))
    incident = Incident.objects.get()
    receive(
        mailbox,
        message(
            sender=agent.email, subject=f"[{incident.number}]", body="#internal check the fuser"
        ),
    )
    receive(mailbox, message(sender=agent.email, subject=f"[{incident.number}]", body="On my way"))
    note, reply = Comment.objects.filter(object_id=incident.pk).order_by("pk")
    assert (note.visibility, note.author) == ("internal", agent)
    assert "#internal" not in note.body and "check the fuser" in note.body
    assert reply.visibility == "public"
    incident.refresh_from_db()
    assert incident.first_responded_at is not None  # the agent's public reply


def test_someone_else_using_the_number_gets_a_new_incident_linked_to_it(mailbox):
    receive(mailbox, message(Message_ID="<first@client.example>"))
    incident = Incident.objects.get()
    receive(mailbox, message(sender="mallory@else.example", subject=f"[{incident.number}] hi"))
    assert Incident.objects.count() == 2
    assert not Comment.objects.filter(object_id=incident.pk).exists()
    assert RecordLink.objects.filter(target_id=incident.pk).exists()


def test_a_reply_within_the_reopen_window_reopens_the_resolved_incident(mailbox):
    requester = UserFactory(email="sara@client.example", role=Role.END_USER)
    resolved = incident_in(IncidentStatus.RESOLVED, requester=requester)
    receive(mailbox, message(subject=f"Re: [{resolved.number}]", body="It is broken again."))
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.IN_PROGRESS
    assert Comment.objects.filter(object_id=resolved.pk, body__contains="broken again").exists()


def test_a_reply_to_a_closed_incident_opens_a_new_one_linked_to_it(mailbox):
    requester = UserFactory(email="sara@client.example", role=Role.END_USER)
    closed = incident_in(IncidentStatus.CLOSED, requester=requester)
    received = receive(mailbox, message(subject=f"Re: [{closed.number}]", body="Again!"))
    new = Incident.objects.exclude(pk=closed.pk).get()
    assert received.record_number == new.number
    link = RecordLink.objects.get()
    assert (link.source_id, link.target_id, link.kind) == (new.pk, closed.pk, "related_to")


def test_a_reply_after_the_reopen_window_opens_a_new_incident(mailbox, settings):
    requester = UserFactory(email="sara@client.example", role=Role.END_USER)
    resolved = incident_in(IncidentStatus.RESOLVED, requester=requester)
    later = timezone.now() + timedelta(days=settings.INCIDENT_REOPEN_WINDOW_DAYS + 1)
    with time_machine.travel(later):
        receive(mailbox, message(subject=f"Re: [{resolved.number}]", body="Again"))
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.RESOLVED
    assert Incident.objects.count() == 2


@pytest.mark.parametrize(
    "name", ["out_of_office.eml", "bulk_newsletter.eml"], ids=["auto-reply", "bulk"]
)
def test_machines_are_never_answered(mailbox, name):
    received = receive(mailbox, corpus(name))
    assert received.status == MessageStatus.IGNORED
    assert not Incident.objects.exists()
    deliver_pending()
    assert mail.outbox == []


def test_a_bounce_marks_the_recipients_address(mailbox):
    received = receive(mailbox, corpus("bounce_dsn.eml"))
    assert received.status == MessageStatus.BOUNCE
    bounced = BouncedAddress.objects.get()
    assert bounced.address == "gone@client.example" and bounced.bounces == 1


def test_mail_from_the_desk_itself_is_a_loop(mailbox):
    received = receive(mailbox, message(sender="desk@example.test"))
    assert received.status == MessageStatus.IGNORED
    assert "loop" in received.reason


def test_a_message_the_desk_sent_coming_back_is_a_loop(mailbox):
    receive(mailbox, message(Message_ID="<first@client.example>"))
    incident = Incident.objects.get()
    remember(incident, "sent-1@desk.example.test", direction="out")
    received = receive(
        mailbox, message(sender="list@else.example", Message_ID="<sent-1@desk.example.test>")
    )
    assert received.status == MessageStatus.IGNORED


def test_ignore_rules_drop_matching_senders_and_subjects(mailbox):
    IgnoreRule.objects.create(field="sender", pattern="*@newsletter.example")
    IgnoreRule.objects.create(field="subject", pattern="*lottery*")
    assert receive(mailbox, message(sender="a@newsletter.example")).status == "ignored"
    assert receive(mailbox, message(subject="You won the LOTTERY")).status == "ignored"
    assert not Incident.objects.exists()


def test_a_sender_over_the_hourly_limit_is_ignored(mailbox):
    mailbox.sender_hourly_limit = 2
    mailbox.save()
    results = [receive(mailbox, message(subject=f"Issue {n}")).status for n in range(3)]
    assert results == ["ticket", "ticket", "ignored"]


def test_a_message_over_the_size_limit_is_refused_with_its_reason(mailbox):
    mailbox.max_message_bytes = 1000
    mailbox.save()
    received = receive(mailbox, message(body="x" * 5000))
    assert received.status == MessageStatus.REFUSED
    assert "5" in received.reason and "1000" in received.reason
    assert len(bytes(received.raw)) < 1000  # the headers are kept


def test_an_executable_attachment_is_refused_and_named_on_the_record(mailbox):
    receive(mailbox, corpus("executable_attachment.eml"))
    incident = Incident.objects.get()
    note = Comment.objects.get(object_id=incident.pk, visibility="internal")
    assert "setup.pdf" in note.body
    assert not incident_files(incident) & {"setup.pdf"}


def incident_files(incident):
    from servicedesk.models import Attachment

    return set(Attachment.objects.filter(object_id=incident.pk).values_list("filename", flat=True))


def test_a_message_without_a_sender_is_refused_with_its_reason(mailbox):
    received = receive(mailbox, corpus("no_sender.eml"))
    assert received.status == MessageStatus.REFUSED
    assert received.reason == "The message has no sender address."


def test_a_failing_message_is_kept_with_its_error_and_retried(mailbox, make_user):
    mailbox.support_group = None  # and no routing rule: incident_create refuses it
    mailbox.save()
    received = receive(mailbox, message())
    assert received.status == MessageStatus.FAILED
    assert "support_group" in received.reason
    assert not Incident.objects.exists()

    mailbox.support_group = SupportGroupFactory()
    mailbox.save()
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    retried = services.message_retry(message_id=received.pk, actor=admin)

    assert retried.status == MessageStatus.TICKET
    assert retried.attempts == 2
    assert Incident.objects.count() == 1


def test_an_unexpected_crash_is_kept_as_failed_with_the_traceback(mailbox, monkeypatch):
    from inbound import intake

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(intake, "new_ticket", boom)
    received = receive(mailbox, message())
    assert received.status == MessageStatus.FAILED
    assert received.reason == "RuntimeError: disk on fire"
    assert "Traceback" in received.error


def test_processing_a_done_message_again_changes_nothing(mailbox):
    received = receive(mailbox, message(Message_ID="<once@client.example>"))
    services.message_process(message_id=received.pk)
    again = services.message_receive(
        mailbox=mailbox, raw=message(Message_ID="<once@client.example>")
    )
    assert again.pk == received.pk
    assert Incident.objects.count() == 1
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "persian_windows1256.eml",
        "chinese_gb2312_declared.eml",
        "outlook_winmail_tnef.eml",
        "calendar_invite.eml",
        "forwarded_rfc822.eml",
        "broken_boundary.eml",
        "no_message_id.eml",
        "wrong_charset_label.eml",
    ],
)
def test_hard_messages_become_incidents(mailbox, name):
    received = receive(mailbox, corpus(name))
    assert received.status == MessageStatus.TICKET, received.reason


def test_the_timeline_shows_what_came_by_mail_and_from_whom(mailbox, client, agent):
    receive(mailbox, message(Message_ID="<first@client.example>"))
    incident = Incident.objects.get()
    receive(mailbox, message(subject=f"Re: [{incident.number}]", body="More details."))
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()
    api = client.get(f"/api/v1/incidents/{incident.number}/timeline/")

    assert page.count("by e-mail from sara@client.example") == 2  # logged, and the reply
    senders = [row["via_email"] for row in api.json()]
    assert senders.count("sara@client.example") == 2


def test_a_group_stored_together_creates_each_message_once(mailbox):
    first = corpus("apple_mail_qp_latin1.eml")
    second = corpus("gmail_alternative_html.eml")
    earlier, _created = services.message_store(mailbox=mailbox, raw=second)
    mailbox.max_message_bytes = len(first) + 10
    big = corpus("outlook_html_inline_image.eml")
    assert len(big) > mailbox.max_message_bytes

    stored = services.messages_store(
        mailbox=mailbox,
        items=[("1", first, None), ("2", second, None), ("3", first, None), ("4", big, None)],
    )

    assert [created for _message, created in stored] == [True, False, False, True]
    assert stored[0][0].pk == stored[2][0].pk
    assert stored[1][0].pk == earlier.pk
    assert stored[0][0].status == MessageStatus.PENDING and stored[0][0].source_uid == "1"
    assert stored[3][0].status == MessageStatus.REFUSED
    assert "bytes" in stored[3][0].reason
    assert InboundMessage.objects.count() == 3
