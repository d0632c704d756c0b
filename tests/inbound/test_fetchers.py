"""Maildir, the beat's task, XOAUTH2 and the STARTTLS certificate check."""

import mailbox as maildir_lib

import pytest

from inbound import fetchers, services, tasks
from inbound.models import Mailbox
from incidents.models import Incident
from tests.inbound.conftest import corpus
from tests.incidents.factories import SupportGroupFactory

pytestmark = pytest.mark.django_db


def test_a_local_maildir_is_read_once_and_its_mail_marked_seen(tmp_path):
    box = maildir_lib.Maildir(tmp_path / "Maildir", create=True)
    box.add(corpus("chinese_gb2312_declared.eml"))
    mailbox = Mailbox.objects.create(
        name="local", protocol="maildir", maildir_path=str(tmp_path / "Maildir"),
        support_group=SupportGroupFactory(),
    )  # fmt: skip

    services.mailbox_poll(mailbox_id=mailbox.pk)
    services.mailbox_poll(mailbox_id=mailbox.pk)

    assert Incident.objects.get().title == "打印机故障"
    [message] = box.values()
    assert "S" in message.get_flags() and message.get_subdir() == "cur"


def test_a_missing_maildir_is_a_readable_error(tmp_path):
    mailbox = Mailbox.objects.create(
        name="local", protocol="maildir", maildir_path=str(tmp_path / "nothing")
    )
    services.mailbox_poll(mailbox_id=mailbox.pk)
    mailbox.refresh_from_db()
    assert "is not a Maildir" in mailbox.last_error


def test_the_beat_polls_the_mailboxes_that_are_due(imap_mailbox):
    imap_mailbox.support_group = SupportGroupFactory()
    imap_mailbox.save()
    imap_mailbox.account.deliver(corpus("apple_mail_qp_latin1.eml"))

    assert tasks.poll_mailboxes_task() == 1  # tasks run eagerly in the tests
    assert Incident.objects.count() == 1
    assert tasks.poll_mailboxes_task() == 0  # polled just now: not due again yet


def test_an_untrusted_certificate_is_refused(imap_mailbox, settings):
    settings.MAILBOX_CA_FILE = ""  # the test server's self-signed certificate is not trusted
    services.mailbox_poll(mailbox_id=imap_mailbox.pk)
    imap_mailbox.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in imap_mailbox.last_error


def test_the_xoauth2_initial_response():
    assert fetchers.xoauth2_string("desk@example.org", "ya29.token") == (
        b"user=desk@example.org\x01auth=Bearer ya29.token\x01\x01"
    )
