"""Maildir, the beat's task, OAuth2 (XOAUTH2) sign-in over IMAP and POP3 against Dovecot's
oauth2 passdb, and the STARTTLS certificate check."""

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


def _oauth2_mailbox(mailbox, dovecot_server, protocol, token):
    mailbox.protocol = protocol
    mailbox.port = dovecot_server.imap_port if protocol == "imap" else dovecot_server.pop3_port
    mailbox.auth_method = "xoauth2"
    mailbox.secret = token
    mailbox.support_group = SupportGroupFactory()
    mailbox.save()
    return mailbox


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_an_oauth2_token_signs_in_with_xoauth2_and_the_mail_is_read(
    imap_mailbox, dovecot_server, protocol
):
    # Dovecot's oauth2 passdb asks the introspection endpoint: active, and issued for this
    # address (the static password does not sign in with XOAUTH2).
    token = dovecot_server.issue_token(imap_mailbox.account.address)
    mailbox = _oauth2_mailbox(imap_mailbox, dovecot_server, protocol, token)
    mailbox.account.deliver(corpus("apple_mail_qp_latin1.eml"))

    assert services.mailbox_poll(mailbox_id=mailbox.pk) == 1

    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    ("protocol", "case"),
    [("imap", "revoked"), ("pop3", "revoked"), ("pop3", "another account's"),
     ("imap", "the password")],
)  # fmt: skip
def test_a_token_dovecot_does_not_accept_is_a_sign_in_error(
    imap_mailbox, dovecot_server, protocol, case
):
    address = imap_mailbox.account.address
    if case == "revoked":
        token = dovecot_server.issue_token(address)
        dovecot_server.revoke_token(token)
    elif case == "another account's":
        token = dovecot_server.issue_token(dovecot_server.add_account())
    else:
        token = imap_mailbox.account.password
    mailbox = _oauth2_mailbox(imap_mailbox, dovecot_server, protocol, token)
    mailbox.account.deliver(corpus("apple_mail_qp_latin1.eml"))

    services.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert "Authentication failed" in mailbox.last_error or (
        "AUTHENTICATIONFAILED" in mailbox.last_error
    )
    assert Incident.objects.count() == 0
