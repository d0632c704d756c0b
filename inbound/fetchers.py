"""Reading mailboxes: IMAP (imaplib), POP3 (poplib) and local Maildirs (mailbox), stdlib only.

A client yields (server id, raw bytes) for each new message and is told `done(id)` once the
message is stored, which marks it as the mailbox says (seen, moved, deleted). Reading never
changes the server (IMAP reads with BODY.PEEK), so a worker that dies between reading and
marking reads the message again next time, and the stored row's unique key takes it once.
Every network or protocol failure is a FetchError with a readable message.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import mailbox as maildir_lib
import os
import poplib
import re
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

from django.conf import settings

from inbound.choices import AfterRead, AuthMethod, Protocol, Security

TIMEOUT_SECONDS = 30
BATCH = 200
FETCH_GROUP = 50


class FetchError(Exception):
    """The mailbox could not be read (connection, sign-in, folder)."""


def tls_context() -> ssl.SSLContext:
    """Certificates are verified; MAILBOX_CA_FILE adds a private CA (or a test server's)."""
    context = ssl.create_default_context()
    if settings.MAILBOX_CA_FILE:
        context.load_verify_locations(cafile=settings.MAILBOX_CA_FILE)
    return context


def xoauth2_string(username: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response (Google, Microsoft 365)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01".encode()


def pop3_xoauth2(conn: poplib.POP3, initial_response: bytes) -> None:
    """POP3 `AUTH XOAUTH2` with the initial response (RFC 5034; Google, Microsoft 365).

    A refused token gets a `+ ` challenge holding the server's JSON error, which the client
    answers with an empty line to receive the `-ERR`; poplib.error_proto then carries it."""
    answer = conn._shortcmd("AUTH XOAUTH2 " + base64.b64encode(initial_response).decode())
    if answer.startswith(b"+ "):
        conn._putcmd("")
        conn._getresp()  # the -ERR raises error_proto
        raise poplib.error_proto(b"-ERR XOAUTH2 sign-in refused")


class Client(ABC):
    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - a client with nothing to close keeps this one
        """Let go of the connection (nothing by default)."""

    @abstractmethod
    def new_messages(self, known: Callable[[list[str]], set[str]]) -> Iterator[tuple[str, bytes]]:
        """(uid, raw message) of each message `known` does not name."""

    @abstractmethod
    def done(self, uid: str) -> None:
        """The mailbox's after-read action on one message."""

    def done_many(self, uids: list[str]) -> None:
        """The after-read action on several stored messages (one command where the protocol
        allows it)."""
        for uid in uids:
            self.done(uid)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapClient(Client):
    def __init__(self, mailbox):
        self.mailbox = mailbox
        port = mailbox.port or (993 if mailbox.security == Security.TLS else 143)
        try:
            if mailbox.security == Security.TLS:
                self.conn = imaplib.IMAP4_SSL(
                    mailbox.host, port, ssl_context=tls_context(), timeout=TIMEOUT_SECONDS
                )
            else:
                self.conn = imaplib.IMAP4(mailbox.host, port, timeout=TIMEOUT_SECONDS)
                if mailbox.security == Security.STARTTLS:
                    self.conn.starttls(ssl_context=tls_context())
            if mailbox.auth_method == AuthMethod.XOAUTH2:
                auth = xoauth2_string(mailbox.username, mailbox.secret)
                self.conn.authenticate("XOAUTH2", lambda _challenge: auth)
            else:
                self.conn.login(mailbox.username, mailbox.secret)
            status, data = self.conn.select(_quote(mailbox.folder or "INBOX"))
            if status != "OK":
                raise FetchError(f"folder {mailbox.folder!r}: {_text(data)}")
        except (imaplib.IMAP4.error, OSError, ssl.SSLError, ValueError) as error:
            raise FetchError(f"IMAP {mailbox.host}:{port}: {_text(error)}") from error
        self.moved = False

    def close(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            if self.moved:
                self.conn.expunge()
            self.conn.logout()

    def new_messages(self, known):
        criterion = "UNSEEN" if self.mailbox.after_read == AfterRead.SEEN else "UNDELETED"
        try:
            status, data = self.conn.uid("SEARCH", None, criterion)
            if status != "OK":
                raise FetchError(f"SEARCH: {_text(data)}")
            uids = (data[0] or b"").split()[:BATCH]
            for start in range(0, len(uids), FETCH_GROUP):
                group = uids[start : start + FETCH_GROUP]
                # One FETCH for the group (a round trip per message was a tenth of intake).
                status, parts = self.conn.uid(
                    "FETCH", b",".join(group).decode(), "(UID BODY.PEEK[])"
                )
                if status != "OK":
                    raise FetchError(f"FETCH: {_text(parts)}")
                yield from _fetched(parts)
        except (imaplib.IMAP4.error, OSError) as error:
            raise FetchError(f"IMAP: {_text(error)}") from error

    def done(self, uid: str) -> None:
        self.done_many([uid])

    def done_many(self, uids: list[str]) -> None:
        if not uids:
            return
        action = self.mailbox.after_read
        uid_set = ",".join(uids)
        try:
            if action == AfterRead.SEEN:
                self.conn.uid("STORE", uid_set, "+FLAGS", "(\\Seen)")
                return
            if action == AfterRead.MOVE:
                target = _quote(self.mailbox.move_to or "Processed")
                if "MOVE" in (self.conn.capabilities or ()):
                    status, data = self.conn.uid("MOVE", uid_set, target)
                    if status != "OK":
                        raise FetchError(f"MOVE to {target}: {_text(data)}")
                    return
                status, data = self.conn.uid("COPY", uid_set, target)
                if status != "OK":
                    raise FetchError(f"COPY to {target}: {_text(data)}")
            self.conn.uid("STORE", uid_set, "+FLAGS", "(\\Deleted \\Seen)")
            self.moved = True
        except (imaplib.IMAP4.error, OSError) as error:
            raise FetchError(f"IMAP: {_text(error)}") from error


_UID = re.compile(rb"UID (\d+)")


def _fetched(parts) -> Iterator[tuple[str, bytes]]:
    """(uid, raw) from a multi-message FETCH answer: each message is a (header, literal)
    tuple; its UID is in the header, or in the bytes after the literal when the server puts
    it last."""
    pending: bytes | None = None
    for part in parts:
        if isinstance(part, tuple):
            match = _UID.search(part[0])
            if match:
                yield match.group(1).decode(), part[1]
                pending = None
            else:
                pending = part[1]
        elif pending is not None and isinstance(part, bytes):
            match = _UID.search(part)
            if match:
                yield match.group(1).decode(), pending
            pending = None


class Pop3Client(Client):
    """POP3 has no flags: read mail stays on the server unless deleted, and the stored
    server ids (UIDL) say what was taken already."""

    def __init__(self, mailbox):
        self.mailbox = mailbox
        port = mailbox.port or (995 if mailbox.security == Security.TLS else 110)
        try:
            if mailbox.security == Security.TLS:
                self.conn = poplib.POP3_SSL(
                    mailbox.host, port, context=tls_context(), timeout=TIMEOUT_SECONDS
                )
            else:
                self.conn = poplib.POP3(mailbox.host, port, timeout=TIMEOUT_SECONDS)
                if mailbox.security == Security.STARTTLS:
                    self.conn.stls(context=tls_context())
            if mailbox.auth_method == AuthMethod.XOAUTH2:
                pop3_xoauth2(self.conn, xoauth2_string(mailbox.username, mailbox.secret))
            else:
                self.conn.user(mailbox.username)
                self.conn.pass_(mailbox.secret)
        except (poplib.error_proto, OSError, ssl.SSLError) as error:
            raise FetchError(f"POP3 {mailbox.host}:{port}: {_text(error)}") from error
        self.numbers: dict[str, int] = {}

    def close(self) -> None:
        with contextlib.suppress(poplib.error_proto, OSError):
            self.conn.quit()

    def new_messages(self, known):
        try:
            _response, listing, _octets = self.conn.uidl()
            for line in listing:
                number, uid = line.decode().split(" ", 1)
                self.numbers[uid] = int(number)
            fresh = [uid for uid in self.numbers if uid not in known(list(self.numbers))]
            for uid in fresh[:BATCH]:
                _response, lines, _octets = self.conn.retr(self.numbers[uid])
                yield uid, b"\r\n".join(lines) + b"\r\n"
        except (poplib.error_proto, OSError) as error:
            raise FetchError(f"POP3: {_text(error)}") from error

    def done(self, uid: str) -> None:
        if self.mailbox.after_read != AfterRead.SEEN:
            try:
                self.conn.dele(self.numbers[uid])
            except (poplib.error_proto, OSError) as error:
                raise FetchError(f"POP3: {_text(error)}") from error


class MaildirClient(Client):
    """A local Maildir (Postfix/Dovecot delivery): new mail is in new/; read mail goes to cur/
    flagged seen, to a sub-folder, or is deleted."""

    def __init__(self, mailbox):
        self.mailbox = mailbox
        path = mailbox.maildir_path
        if not path or not os.path.isdir(os.path.join(path, "new")):
            raise FetchError(f"{path!r} is not a Maildir (no new/ folder)")
        self.box = maildir_lib.Maildir(path, factory=None, create=False)
        if mailbox.folder and mailbox.folder.upper() != "INBOX":
            try:
                self.box = self.box.get_folder(mailbox.folder)
            except maildir_lib.NoSuchMailboxError as error:
                raise FetchError(f"Maildir folder {mailbox.folder!r} does not exist") from error

    def new_messages(self, known):
        try:
            for key in list(self.box.iterkeys())[: BATCH * 5]:
                message = self.box.get_message(key)
                if "S" in message.get_flags() and self.mailbox.after_read == AfterRead.SEEN:
                    continue
                yield key, self.box.get_bytes(key)
        except OSError as error:
            raise FetchError(f"Maildir: {error}") from error

    def done(self, uid: str) -> None:
        action = self.mailbox.after_read
        try:
            if action == AfterRead.SEEN:
                message = self.box.get_message(uid)
                message.set_subdir("cur")
                message.add_flag("S")
                self.box[uid] = message
            elif action == AfterRead.MOVE:
                target = self.box.add_folder(self.mailbox.move_to or "Processed")
                target.add(self.box.get_message(uid))
                self.box.remove(uid)
            else:
                self.box.remove(uid)
        except (OSError, KeyError) as error:
            raise FetchError(f"Maildir: {error}") from error


def _text(value) -> str:
    if isinstance(value, BaseException) and value.args:
        value = value.args[0] if len(value.args) == 1 else value.args
    if isinstance(value, list | tuple):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    return re.sub(r"\s+", " ", text).strip() or type(value).__name__


def client_for(mailbox) -> Client:
    """The client for the mailbox's protocol (FetchError when it cannot be reached)."""
    protocols: dict[str, type[Client]] = {
        Protocol.IMAP: ImapClient,
        Protocol.POP3: Pop3Client,
        Protocol.MAILDIR: MaildirClient,
    }
    if mailbox.protocol not in protocols:
        raise FetchError(f"mailbox {mailbox.name} is not polled ({mailbox.protocol})")
    try:
        return protocols[mailbox.protocol](mailbox)
    except TimeoutError as error:
        raise FetchError(f"{mailbox.host}: timed out") from error
