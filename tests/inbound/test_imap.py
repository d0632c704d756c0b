"""A real Dovecot: mail in the INBOX becomes incidents, exactly once, and replies thread."""

import pytest

from inbound import services
from inbound.choices import MessageStatus
from inbound.models import InboundMessage, Watcher
from incidents.choices import Channel
from incidents.models import Incident
from servicedesk.models import Attachment, Comment
from tests.inbound.conftest import corpus
from tests.incidents.factories import AgentFactory, SupportGroupFactory

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def group(db):
    return SupportGroupFactory(name="Service Desk", members=[AgentFactory()])


@pytest.fixture
def mailbox(imap_mailbox, group):
    imap_mailbox.support_group = group
    imap_mailbox.save()
    return imap_mailbox


def test_a_message_in_the_inbox_becomes_an_incident_with_requester_watchers_and_files(mailbox):
    mailbox.account.deliver(corpus("outlook_html_inline_image.eml"))

    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 1

    incident = Incident.objects.get()
    assert incident.title == "Printer on floor 3 jams"
    assert incident.requester.email == "sara@client.example"
    assert incident.requester.full_name == "Sara Client"
    assert incident.channel == Channel.EMAIL
    assert incident.support_group == mailbox.support_group
    assert "floor 3 jams on every job" in incident.description
    watchers = set(Watcher.objects.values_list("address", flat=True))
    assert watchers == {"tom@client.example", "ana@client.example"}  # not the desk itself
    files = set(Attachment.objects.values_list("filename", flat=True))
    assert files == {"image001.png", "error-log.pdf", "original-message.eml"}
    message = InboundMessage.objects.get()
    assert message.status == MessageStatus.TICKET
    assert message.record_number == incident.number
    assert mailbox.account.count(criterion="UNSEEN") == 0  # marked seen on the server
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""


def test_polling_twice_takes_a_message_once(mailbox):
    mailbox.account.deliver(corpus("gmail_alternative_html.eml"))
    services.mailbox_poll(mailbox_id=mailbox.pk)
    # Another copy of the same message (same Message-ID) arrives, unseen.
    mailbox.account.deliver(corpus("gmail_alternative_html.eml"))

    services.mailbox_poll(mailbox_id=mailbox.pk)

    assert Incident.objects.count() == 1
    assert InboundMessage.objects.count() == 1


class CrashAfterReading(Exception):
    pass


def test_a_worker_dying_between_reading_and_marking_gives_one_ticket(mailbox):
    from inbound import fetchers

    mailbox.account.deliver(corpus("apple_mail_qp_latin1.eml"))

    class Dies(fetchers.ImapClient):
        def done(self, uid):
            raise CrashAfterReading()

        def done_many(self, uids):
            raise CrashAfterReading()

    with pytest.raises(CrashAfterReading):
        services.mailbox_poll(mailbox_id=mailbox.pk, client_factory=Dies)
    assert mailbox.account.count(criterion="UNSEEN") == 1  # never marked
    message = InboundMessage.objects.get()
    assert message.status == MessageStatus.PENDING  # stored, not yet processed

    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 1

    assert Incident.objects.count() == 1
    assert InboundMessage.objects.get().status == MessageStatus.TICKET
    assert mailbox.account.count(criterion="UNSEEN") == 0


def test_a_reply_with_in_reply_to_lands_as_a_comment_on_its_incident(mailbox):
    mailbox.account.deliver(corpus("outlook_html_inline_image.eml"))
    services.mailbox_poll(mailbox_id=mailbox.pk)
    incident = Incident.objects.get()
    other = corpus("gmail_alternative_html.eml")
    mailbox.account.deliver(other)
    services.mailbox_poll(mailbox_id=mailbox.pk)
    # The reply answers the first message (its References name it), from its sender.
    reply = corpus("thunderbird_reply.eml").replace(b"[INC0000001] ", b"")

    mailbox.account.deliver(reply)
    services.mailbox_poll(mailbox_id=mailbox.pk)

    assert Incident.objects.count() == 2
    comment = Comment.objects.get(object_id=incident.pk)
    assert comment.author == incident.requester
    assert comment.visibility == "public"
    assert "It works again after the restart" in comment.body
    assert "Sara Client\nAccounts" not in comment.body  # signature stripped
    assert "we restarted the print server" not in comment.body  # quoted history stripped
    assert comment.attachments.filter(filename="original-message.eml").exists()
    assert InboundMessage.objects.get(message_id="7a1c2b3d-reply@client.example").status == (
        MessageStatus.REPLY
    )


def test_move_after_reading_moves_the_message_to_the_folder(mailbox):
    mailbox.after_read = "move"
    mailbox.move_to = "Processed"
    mailbox.save()
    mailbox.account.deliver(corpus("html_only.eml"))
    mailbox.account.deliver(b"", folder="Processed") if False else None
    conn = mailbox.account.connect()
    conn.create("Processed")
    conn.logout()

    services.mailbox_poll(mailbox_id=mailbox.pk)

    assert mailbox.account.count() == 0
    assert mailbox.account.count(folder="Processed") == 1
    assert Incident.objects.count() == 1


def test_delete_after_reading_removes_the_message(mailbox):
    mailbox.after_read = "delete"
    mailbox.save()
    mailbox.account.deliver(corpus("html_only.eml"))

    services.mailbox_poll(mailbox_id=mailbox.pk)

    assert mailbox.account.count() == 0
    assert Incident.objects.count() == 1


def test_pop3_takes_each_message_once_and_keeps_it_on_the_server(mailbox, dovecot_server):
    mailbox.protocol = "pop3"
    mailbox.port = dovecot_server.pop3_port
    mailbox.save()
    mailbox.account.deliver(corpus("chinese_big5.eml"))

    services.mailbox_poll(mailbox_id=mailbox.pk)
    services.mailbox_poll(mailbox_id=mailbox.pk)

    incident = Incident.objects.get()
    assert incident.title == "電腦無法開機"
    assert mailbox.account.count() == 1


def test_a_wrong_password_is_kept_on_the_mailbox_and_reported_by_health(mailbox, client):
    mailbox.secret = "wrong"
    mailbox.save()

    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 0

    mailbox.refresh_from_db()
    assert "IMAP" in mailbox.last_error
    body = client.get("/health/").json()
    assert body["status"] in ("degraded", "failing")
    assert "mailboxes" in body["degraded"]
    assert body["mailboxes"]["failing"][0]["mailbox"] == "support"


def test_one_poller_at_a_time_per_mailbox(mailbox):
    from inbound.models import Mailbox

    assert services._take_lease(mailbox.pk)
    assert services.mailbox_poll(mailbox_id=mailbox.pk) is None  # another worker holds it
    Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=None)
    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 0


def test_a_poll_of_many_messages_takes_each_once_in_groups_and_marks_them_all(mailbox):
    from inbound import fetchers

    names = [
        "apple_mail_qp_latin1.eml",
        "gmail_alternative_html.eml",
        "chinese_big5.eml",
        "persian_windows1256.eml",
        "html_only.eml",
    ]
    for name in names:
        mailbox.account.deliver(corpus(name))
    commands: list[str] = []

    class Counting(fetchers.ImapClient):
        def __init__(self, mailbox):
            super().__init__(mailbox)
            original = self.conn.uid

            def uid(command, *args):
                commands.append(command)
                return original(command, *args)

            self.conn.uid = uid

    assert services.mailbox_poll(mailbox_id=mailbox.pk, client_factory=Counting) == 5

    assert Incident.objects.count() == 5
    assert mailbox.account.count(criterion="UNSEEN") == 0
    uids = set(InboundMessage.objects.values_list("source_uid", flat=True))
    assert len(uids) == 5 and "" not in uids
    # One search, one fetch of the group, one store of the flags: not a round trip each.
    assert commands == ["SEARCH", "FETCH", "STORE"]
    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 0
    assert Incident.objects.count() == 5


def test_a_multi_message_fetch_answer_names_each_uid_before_or_after_its_body():
    from inbound.fetchers import _fetched

    parts = [
        (b"1 (UID 7 BODY[] {5}", b"first"),
        b")",
        (b"2 (BODY[] {6}", b"second"),
        b" UID 9)",
    ]
    assert list(_fetched(parts)) == [("7", b"first"), ("9", b"second")]


def test_a_poll_processes_its_group_together_and_a_failing_message_fails_alone(
    mailbox, monkeypatch
):
    from inbound import intake

    real_new_ticket = intake.new_ticket

    def new_ticket(message, parsed, **kwargs):
        record = real_new_ticket(message, parsed, **kwargs)  # its writes are rolled back
        if parsed.subject == "Breaks":
            raise RuntimeError("disk on fire")
        return record

    monkeypatch.setattr(intake, "new_ticket", new_ticket)
    for subject in ("First", "Breaks", "Third"):
        mailbox.account.deliver(
            f"From: sara@client.example\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@client.example>\r\n\r\nText.\r\n".encode()
        )

    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 3

    assert sorted(Incident.objects.values_list("title", flat=True)) == ["First", "Third"]
    statuses = dict(InboundMessage.objects.values_list("subject", "status"))
    assert statuses == {"First": "ticket", "Breaks": "failed", "Third": "ticket"}
    failed = InboundMessage.objects.get(subject="Breaks")
    assert failed.reason == "RuntimeError: disk on fire" and failed.raw  # the bytes are kept
    assert (
        not Attachment.objects.filter(filename="original-message.eml")
        .exclude(object_id__in=Incident.objects.values("pk"))
        .exists()
    )  # nothing of the failed one is left
    assert mailbox.account.count(criterion="UNSEEN") == 0
