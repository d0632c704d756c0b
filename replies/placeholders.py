"""Filling a canned response's placeholders for one record.

The text is never run as a template: `{{ name }}` is replaced by plain text from a fixed list
and anything else is left as it was typed, so a template can read nothing of the record but
what is listed here. The result goes into a reply box as text (the kernel sanitises replies).
"""

import re
import zoneinfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from servicedesk import registry
from servicedesk.emails import record_url

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

NAMES = {
    "requester_name": _("the requester's name"),
    "number": _("the record's number"),
    "title": _("the record's title"),
    "due": _("the due time of its running SLA clock"),
    "link": _("the link to the record in the portal"),
    "agent_name": _("your name"),
}


def _zone(name: str):
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def values_for(record, *, agent, language: str, due_at=None) -> dict[str, str]:
    """The placeholders' values; the due time in the requester's language and time zone."""
    requester = record.requester
    record_type = registry.for_model(type(record))
    link = ""
    if record_type is not None and record_type.in_portal:
        link = record_url(record_type.portal_page, record.number)
    due = ""
    if due_at is not None:
        zone = _zone(getattr(requester, "time_zone", "UTC"))
        with translation.override(language):
            due = formats.date_format(timezone.localtime(due_at, zone), "DATETIME_FORMAT")
    return {
        "requester_name": requester.full_name if requester else "",
        "number": record.number,
        "title": record.title,
        "due": due,
        "link": link,
        "agent_name": agent.full_name,
    }


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
