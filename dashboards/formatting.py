"""Cells of a panel for people (the page, the e-mail) and for machines (JSON, CSV)."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

DASH = "—"


def display(value, kind: str) -> str:
    """A value as the page shows it, in the active language's number and date formats."""
    if value is None or value == "" and kind not in ("text", "status"):
        return DASH
    if kind == "int":
        return number_format(value, 0, force_grouping=True)
    if kind == "pct":
        return f"{number_format(value, 1, force_grouping=True)}%"
    if kind == "pct3":
        return f"{number_format(value, 2, force_grouping=True)}%"
    if kind in ("hours", "decimal"):
        if isinstance(value, int):
            return number_format(value, 0, force_grouping=True)
        return number_format(value, 2, force_grouping=True)
    if kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    if kind == "datetime":
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if kind == "status":
        return {"ok": _("On target"), "bad": _("Off target")}.get(value, "")
    return str(value)


def machine(value):
    """A value for JSON and CSV: numbers as numbers, instants in ISO 8601."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(panel) -> list[list[dict]]:
    """Rows of cells {text, url, kind} for the template."""
    out = []
    for row in panel.rows:
        cells = []
        for column in panel.columns:
            value = row.get(column.key)
            cells.append(
                {
                    "text": display(value, column.kind),
                    "url": row.get("url") if column.kind == "link" else None,
                    "kind": column.kind,
                    "raw": value,
                    "unit": row.get("unit", "") if column.key == "value" else "",
                }
            )
        out.append(cells)
    return out


def as_json(panel) -> dict:
    return {
        "key": panel.key,
        "title": panel.title,
        "definition": panel.definition,
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in panel.columns],
        "rows": [{k: machine(v) for k, v in row.items()} for row in panel.rows],
        "display": [[cell["text"] for cell in cells] for cells in table(panel)],
        "chart": panel.chart,
    }
