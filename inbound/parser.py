"""Reading a raw RFC 822 message into what intake needs, whatever state it is in.

Pure Python (no Django): `parse(raw)` never raises for a message the `email` package can
read. Wrong or missing charsets, 8-bit headers, RFC 2047 words, broken MIME boundaries,
nested messages, TNEF (winmail.dat) and calendar invites are all handled here; what cannot
be decoded is decoded with replacement characters rather than refused.
"""

from __future__ import annotations

import codecs
import email
import hashlib
import re
from dataclasses import dataclass, field
from email._policybase import Compat32
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from charset_normalizer import from_bytes

# Names mail clients put on charsets, mapped to the codec that reads what they really send:
# "gb2312" mail is usually GBK/GB18030, "big5" often Big5-HKSCS, Windows code pages hide
# behind ISO names, and a few names are not Python codecs at all.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874",
    "x-user-defined": "latin-1",
    "unicode-1-1-utf-7": "utf-7",
    "us-ascii": "utf-8",  # 8-bit text labelled ASCII is almost always UTF-8
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",  # browsers and mail clients read Latin-1 as Windows-1252
    "latin1": "cp1252",
    "utf8": "utf-8",
}

AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


class _RawHeaders(Compat32):
    """compat32, but headers come back as the text they are (8-bit bytes kept as surrogates)
    instead of Header objects that replace them: `header_text` decodes them."""

    def header_fetch_parse(self, name, value):
        return value


RAW_HEADERS = _RawHeaders()
NUMBER_IN_SUBJECT = re.compile(r"\[([A-Z]{2,5}\d{4,12})\]")


@dataclass
class Part:
    """A file found in the message: an attachment, an inline image, a nested message."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    sender: str = ""
    sender_name: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str = ""
    parts: list[Part] = field(default_factory=list)
    auto_reason: str = ""
    is_bounce: bool = False
    bounced: list[tuple[str, str]] = field(default_factory=list)
    loop_marker: str = ""
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this message answers, nearest first."""
        seen: list[str] = []
        for message_id in [*self.in_reply_to, *reversed(self.references)]:
            if message_id not in seen:
                seen.append(message_id)
        return seen

    @property
    def numbers_in_subject(self) -> list[str]:
        return NUMBER_IN_SUBJECT.findall(self.subject)


def source_key(raw: bytes, message_id: str) -> str:
    """What makes a message the same message when it is read again: its Message-ID, or a
    hash of its bytes when it has none."""
    if message_id:
        return "mid:" + message_id[:250]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def codec_for(charset: str | None) -> str | None:
    """A Python codec for a charset label, or None when it is unknown."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# What legacy mail is written in when it does not say (or says wrongly): charset-normalizer
# chooses among these. Latin guesses are read as Windows-1252, by far the most common.
GUESS_CANDIDATES = [
    "cp1252", "cp1256", "gb18030", "big5hkscs", "cp1251", "cp1250", "shift_jis", "euc_kr",
    "koi8_r", "cp1253", "cp1254", "cp1255", "cp874", "iso8859_6",
]  # fmt: skip
LATIN_GUESSES = {"cp1250", "cp1252", "cp1254", "latin_1", "iso8859_15", "iso8859_2"}


def guess_codec(data: bytes) -> str | None:
    """The codec charset-normalizer finds for undeclared bytes, None when it finds none."""
    guess = from_bytes(data, cp_isolation=GUESS_CANDIDATES).best()
    if guess is None:
        return None
    name = codecs.lookup(guess.encoding).name
    return "cp1252" if name in LATIN_GUESSES else name


def decode_bytes(data: bytes, charset: str | None = None, hint: str | None = None) -> str:
    """Text from bytes: the declared charset when it reads them, else UTF-8, else the hint
    (the charset the rest of the message is in), else a guess, else Windows-1252 with
    replacements. Never raises."""
    candidates = [codec_for(charset), "utf-8", codec_for(hint)]
    for codec in candidates:
        if not codec:
            continue
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    codec = guess_codec(data) or "cp1252"
    return data.decode(codec, errors="replace")


def header_text(value, hint: str | None = None) -> str:
    """A header as text: RFC 2047 words decoded, raw 8-bit bytes read by `decode_bytes`
    (with the body's charset as the hint)."""
    if value is None:
        return ""
    text = str(value)
    if any("\udc80" <= char <= "\udcff" for char in text):
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), hint=hint)
    if "=?" in text:
        try:
            chunks = decode_header(text)
            text = "".join(
                decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                for chunk, charset in chunks
            )
        except Exception:  # noqa: BLE001, S110 - a broken encoded word stays as written
            pass
    return " ".join(text.split())


def _message_ids(value: str) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", value or "")


def _addresses(values: list[str]) -> list[str]:
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _raw_header(message: Message, name: str, hint: str | None = None) -> str:
    values = message.get_all(name) or []
    return ", ".join(header_text(value, hint) for value in values)


def _body_charset(message: Message) -> str | None:
    """The charset the message's first text is in (declared, else guessed): the best guess
    for 8-bit headers, which mail clients write in the same charset as the body."""
    for part in _leaves(message):
        if part.get_content_maintype() != "text":
            continue
        declared = codec_for(part.get_content_charset())
        data = _payload_bytes(part)
        if declared and declared != "utf-8":
            return declared
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return guess_codec(data)
        return "utf-8"
    return None


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    return decode_bytes(_payload_bytes(part), part.get_content_charset())


def _filename(part: Message, default: str) -> str:
    name = part.get_filename()
    if name:
        name = header_text(make_header(decode_header(name))) if "=?" in name else header_text(name)
    name = (name or default).replace("/", "_").replace("\\", "_").strip() or default
    return name[:200]


def _auto_reason(message: Message) -> str:
    """Why this message was sent by a machine and must never be answered, or ""."""
    auto_submitted = header_text(message.get("Auto-Submitted")).lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    if message.get("X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress: " + header_text(message.get("X-Auto-Response-Suppress"))
    precedence = header_text(message.get("Precedence")).lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return "mailing list (List-Id / List-Unsubscribe)"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "X-Autoreply"
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return "Return-Path: <> (a delivery report)"
    return ""


def _bounce(message: Message) -> list[tuple[str, str]]:
    """The failed recipients of a delivery status notification (RFC 3464), with the reason."""
    failed: list[tuple[str, str]] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        texts: list[str] = []
        if isinstance(blocks, list):
            for block in blocks:
                if isinstance(block, Message):
                    texts.append(str(block))
        else:
            texts.append(_part_text(part))
        for text in texts:
            fields: dict[str, str] = {}
            for line in text.splitlines():
                key, _colon, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
            action = fields.get("action", "failed").lower()
            if recipient and action == "failed":
                address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                reason = fields.get("diagnostic-code") or fields.get("status") or ""
                failed.append((address, reason.split(";", 1)[-1].strip()))
    return failed


def _tnef_parts(data: bytes) -> tuple[list[Part], str]:
    """The files and text inside a winmail.dat; nothing when it does not decode."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data, do_checksum=False)
    except Exception:  # noqa: BLE001 - an unreadable winmail.dat stays attached as it is
        return [Part("winmail.dat", "application/ms-tnef", data)], ""
    parts = []
    for attachment in tnef.attachments:
        name = attachment.long_filename() or attachment.name or "attachment"
        if isinstance(name, bytes):
            name = decode_bytes(name)
        parts.append(Part(str(name)[:200], "application/octet-stream", attachment.data))
    body = tnef.body or b""
    text = decode_bytes(body) if isinstance(body, bytes) else str(body)
    return parts, text


def _leaves(message: Message):
    """The message's leaf parts in order; a nested message is one leaf (not its parts)."""
    payload = message.get_payload()
    if message.get_content_maintype() == "multipart" and isinstance(payload, str):
        # A multipart whose boundary is missing or never used: its body read as plain text.
        yield _as_text_part(message)
        return
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        yield message
        return
    for part in payload if isinstance(payload, list) else []:
        if isinstance(part, Message):
            yield from _leaves(part)


def _as_text_part(message: Message) -> Message:
    part = Message(policy=RAW_HEADERS)
    part["Content-Type"] = "text/plain"
    charset = message.get_param("charset")
    if isinstance(charset, str):
        part.set_param("charset", charset)
    body = message.get_payload()
    lines = str(body or "").splitlines()
    kept = [line for line in lines if not line.startswith(("--", "Content-"))]
    part.set_payload("\n".join(kept))
    return part


def _nested_part(part: Message) -> Part | None:
    inner = part.get_payload()
    inner_message = inner[0] if isinstance(inner, list) and inner else inner
    if not isinstance(inner_message, Message):
        return None
    try:
        data = inner_message.as_bytes()
    except Exception:  # noqa: BLE001 - a nested message that does not re-serialise
        data = _payload_bytes(part)
    subject = header_text(inner_message.get("Subject")) or "message"
    name = re.sub(r"[^\w\- ]+", "_", subject)[:80].strip() or "message"
    return Part(f"{name}.eml", "message/rfc822", data)


def _walk(message: Message, result: ParsedMessage) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    for counter, part in enumerate(_leaves(message), start=1):
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        has_name = bool(part.get_filename())
        if content_type == "message/rfc822":
            nested = _nested_part(part)
            if nested is not None:
                result.parts.append(nested)
            continue
        if content_type == "message/delivery-status" or part.get_content_maintype() == "multipart":
            continue
        if (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not has_name
        ):
            (texts if content_type == "text/plain" else htmls).append(_part_text(part))
            continue
        data = _payload_bytes(part)
        if content_type == "application/ms-tnef" or _filename(part, "").lower() == "winmail.dat":
            tnef_parts, tnef_text = _tnef_parts(data)
            result.parts.extend(tnef_parts)
            if tnef_text.strip() and not texts:
                texts.append(tnef_text)
            continue
        if content_type == "text/calendar":
            result.parts.append(Part(_filename(part, "invite.ics"), "text/calendar", data))
            texts.append(_calendar_summary(decode_bytes(data, part.get_content_charset())))
            continue
        extension = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}.get(
            content_type, ".txt" if content_type.startswith("text/") else ".bin"
        )
        content_id = (part.get("Content-ID") or "").strip().strip("<>")
        result.parts.append(
            Part(
                _filename(part, f"part-{counter}{extension}"),
                content_type,
                data,
                inline=disposition == "inline"
                or (bool(content_id) and disposition != "attachment"),
                content_id=content_id,
            )
        )
    result.text = "\n\n".join(text.strip() for text in texts if text.strip())
    result.html = "\n".join(htmls)


def _calendar_summary(text: str) -> str:
    fields = {}
    for line in text.replace("\r\n ", "").splitlines():
        key, _colon, value = line.partition(":")
        key = key.split(";", 1)[0].upper()
        if key in ("SUMMARY", "DTSTART", "DTEND", "LOCATION", "ORGANIZER") and key not in fields:
            fields[key] = value.strip()
    lines = [f"{key.title()}: {value}" for key, value in fields.items()]
    return "Calendar invitation\n" + "\n".join(lines)


def parse(raw: bytes) -> ParsedMessage:
    """Everything intake needs from a raw message. Never raises on a readable message."""
    message = email.message_from_bytes(raw, policy=RAW_HEADERS)
    result = ParsedMessage()
    result.defects = [type(defect).__name__ for defect in message.defects]
    hint = _body_charset(message)
    message_ids = _message_ids(_raw_header(message, "Message-ID"))
    result.message_id = message_ids[0] if message_ids else ""
    result.in_reply_to = _message_ids(_raw_header(message, "In-Reply-To"))
    result.references = _message_ids(_raw_header(message, "References"))
    name, address = parseaddr(_raw_header(message, "From", hint))
    result.sender, result.sender_name = address.strip().lower(), name.strip()
    result.reply_to = parseaddr(_raw_header(message, "Reply-To", hint))[1].strip().lower()
    result.to = _addresses([_raw_header(message, "To", hint)])
    result.cc = _addresses([_raw_header(message, "Cc", hint)])
    result.subject = _raw_header(message, "Subject", hint)
    result.auto_reason = _auto_reason(message)
    result.loop_marker = header_text(message.get("X-Servicedesk-Loop"))
    result.bounced = _bounce(message)
    report_type = (message.get_param("report-type") or "") if message.is_multipart() else ""
    result.is_bounce = bool(result.bounced) or (
        message.get_content_type() == "multipart/report"
        and str(report_type).lower() == "delivery-status"
    )
    _walk(message, result)
    return result
