"""Rich text from users is sanitised here, by nh3 (the Rust ammonia sanitiser), before it is stored."""

from html import unescape

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h3", "h4", "i", "li", "ol", "p", "pre", "s",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def sanitise_html(text: str) -> str:
    """Keep formatting, drop scripts, event handlers, styles and unknown tags; links get rel=noopener."""
    return nh3.clean(
        text or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(html: str) -> str:
    """The text of sanitised HTML with every tag removed (for e-mails and search).

    Entities are decoded ("&amp;" is "&"): the result is text, so escape it again for HTML."""
    return unescape(nh3.clean(html or "", tags=set())).strip()
