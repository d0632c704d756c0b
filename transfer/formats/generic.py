"""The generic formats: a CSV (or JSON lines) file with our field names as columns, one row
per record, or one row per update when a `sequence` column orders them. An administrator's
saved mapping (`ImportMapping`) renames columns and maps values over these."""

from django.utils.translation import gettext_lazy as _

from transfer.formats.base import FIELDS, Format

STATUSES = {
    status: status
    for status in ("new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled")
}

GENERIC_CSV = Format(
    key="csv",
    label=_("CSV (one row per record or per update)"),
    columns={name: name for name in FIELDS},
    required=("number", "status", "opened_at"),
    group_by="number",
    order_by="sequence",
    statuses=STATUSES,
)

GENERIC_JSONL = Format(
    key="jsonl",
    label=_("JSON lines (one object per record or per update)"),
    kind="jsonl",
    columns=GENERIC_CSV.columns,
    required=GENERIC_CSV.required,
    group_by="number",
    order_by="sequence",
    statuses=STATUSES,
)
