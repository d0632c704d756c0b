"""Fixtures of the e-mail channel's tests: a real Dovecot (IMAP, POP3), a real SMTP server
(aiosmtpd, in the test process), mailboxes pointing at them, and the message corpus.

Without the dovecot binary the tests that need it are skipped with the reason, unless
SERVICEDESK_REQUIRE_MAIL=1 (as `.ci/run` sets), which makes that a failure.
"""

import imaplib
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.inbound import dovecot

MESSAGES = Path(__file__).parent / "messages"
REQUIRED = os.environ.get("SERVICEDESK_REQUIRE_MAIL") == "1"


def corpus(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


@pytest.fixture(scope="session")
def dovecot_server():
    shared = os.environ.get("SERVICEDESK_DOVECOT_DIR")
    if shared:
        server = dovecot.running(shared)
        if server is not None:
            yield server
            return
    if dovecot.binary() is None:
        if REQUIRED:
            pytest.fail("SERVICEDESK_REQUIRE_MAIL=1 but dovecot is not installed")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)")
    # Not pytest's tmp_path: its folders are private to us, and Dovecot's own users must
    # reach the Maildirs.
    directory = tempfile.mkdtemp(prefix="servicedesk-dovecot-")
    try:
        server = dovecot.start(directory)
    except RuntimeError as error:
        shutil.rmtree(directory, ignore_errors=True)
        if REQUIRED:
            pytest.fail(str(error))
        pytest.skip(str(error))
    yield server
    server.stop()
    time.sleep(0.2)
    shutil.rmtree(directory, ignore_errors=True)


class ImapAccount:
    """A fresh account on the test Dovecot, and a way to put mail into it."""

    def __init__(self, server, address, password=dovecot.PASSWORD):
        self.server, self.address, self.password = server, address, password

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.server.host, self.server.imap_port, timeout=10)
        conn.login(self.address, self.password)
        return conn

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.connect()
        try:
            conn.create(folder)
            status, data = conn.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            conn.logout()

    def count(self, folder: str = "INBOX", criterion: str = "ALL") -> int:
        conn = self.connect()
        try:
            conn.select(folder)
            _status, data = conn.uid("SEARCH", None, criterion)
            return len((data[0] or b"").split())
        finally:
            conn.logout()


@pytest.fixture
def imap_account(dovecot_server):
    return ImapAccount(dovecot_server, dovecot_server.add_account())


@pytest.fixture
def imap_mailbox(db, imap_account, dovecot_server, settings):
    """A mailbox reading the test account over IMAP with STARTTLS (the test CA trusted)."""
    from inbound.models import Mailbox

    settings.MAILBOX_CA_FILE = dovecot_server.ca_file
    mailbox = Mailbox(
        name="support",
        protocol="imap",
        host=dovecot_server.host,
        port=dovecot_server.imap_port,
        security="starttls",
        username=imap_account.address,
        reply_address="desk@example.test",
    )
    mailbox.secret = imap_account.password
    mailbox.save()
    mailbox.account = imap_account
    return mailbox


@pytest.fixture(autouse=True)
def _fresh_intake_cache():
    """The intake caches its reference data (ignore rules, own addresses) for a few seconds;
    each test starts from the database."""
    from inbound.intake import forget_cached

    forget_cached()
