"""A message's body as the text a record keeps: plain text preferred, HTML sanitised to the
product's allowed tags (servicedesk.text), quoted history and signatures stripped from replies."""

import contextlib
import re
from html import escape

from mailparser_reply import EmailReplyParser

from servicedesk.text import plain_text, sanitise_html

# Languages whose "On ... wrote:" / "From: ... Sent:" headers mail-parser-reply recognises.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "ja", "cs", "zh"]
SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
MOBILE_SIGNATURE = re.compile(
    r"^(Sent from my \w+.*|Enviado desde mi \w+.*|Von meinem \w+ gesendet.*)$", re.MULTILINE
)
# Quote headers mail-parser-reply does not know (Persian, Arabic, Outlook's separator line).
QUOTE_HEADERS = re.compile(
    r"^(.*\bwrote:|.*نوشت:|.*كتب:|-{3,}\s*Original Message\s*-{3,}|_{10,})\s*$",
    re.MULTILINE | re.IGNORECASE,
)


def text_to_html(text: str) -> str:
    """Plain text as the paragraphs of a rich-text field (escaped, line breaks kept)."""
    text = text.replace("\r\n", "\n").strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


def description_html(*, text: str, html: str) -> str:
    """The body of a new record: the plain text when the message has one, else its HTML
    sanitised (scripts, styles, images and unknown tags dropped)."""
    if text.strip():
        return text_to_html(text)
    if html.strip():
        html = re.sub(r"(?is)<(style|script|head)\b.*?</\1>", "", html)
        return sanitise_html(html)
    return ""


def reply_text(*, text: str, html: str) -> str:
    """The new part of a reply: quoted history and the signature removed."""
    if not text.strip() and html.strip():
        text = plain_text(re.sub(r"(?is)<(style|script|head|blockquote)\b.*?</\1>", "", html))
    text = text.replace("\r\n", "\n")
    with contextlib.suppress(Exception):  # the library failing keeps the whole text
        text = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=text) or text
    for pattern in (QUOTE_HEADERS, SIGNATURE, MOBILE_SIGNATURE):
        match = pattern.search(text)
        if match and match.start() > 0:
            text = text[: match.start()]
    lines = [line for line in text.split("\n") if not line.startswith(">")]
    return "\n".join(lines).strip()
