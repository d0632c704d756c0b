"""The formats an import reads, by key."""

from transfer.formats.base import FIELDS, Format
from transfer.formats.generic import GENERIC_CSV, GENERIC_JSONL
from transfer.formats.helpdesk import HELPDESK
from transfer.formats.servicenow import SERVICENOW

FORMATS: dict[str, Format] = {f.key: f for f in (GENERIC_CSV, GENERIC_JSONL, SERVICENOW, HELPDESK)}

__all__ = ["FIELDS", "FORMATS", "Format"]
