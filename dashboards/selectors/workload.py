"""What is open now and how it moved: the backlog by age, and reassignments."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    F,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards import rollup
from dashboards.scope import Scope
from dashboards.selectors.common import (
    AGE_BUCKETS,
    DIMENSIONS,
    Column,
    Panel,
    _name,
    _names,
    facts,
    pct,
)


def _age_case(now):
    whens = []
    for key, _label, days in AGE_BUCKETS:
        if days is not None:
            whens.append(When(created_at__gt=now - timedelta(days=days), then=Value(key)))
    return Case(*whens, default=Value(AGE_BUCKETS[-1][0]))


def backlog(scope: Scope, dimension: str, now=None) -> Panel:
    """Open records by priority (or group) and age: one grouped count, an index-only scan of the
    rollup's open records (as of its last refresh, a minute at most)."""
    now = now or timezone.now()
    group_field = "priority" if dimension == "priority" else "support_group_id"
    counts: dict = {}
    for row in (
        facts(scope)
        .filter(is_open=True)
        .annotate(age=_age_case(now), key=F(group_field))
        .values("key", "age")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(row["key"], {})[row["age"]] = row["n"]
    names = _names(dimension, counts)
    rows = []
    for key, ages in counts.items():
        row = {"key": key, "name": _name(names, key)}
        for bucket, _label, _days in AGE_BUCKETS:
            row[bucket] = ages.get(bucket, 0)
        row["total"] = sum(ages.values())
        rows.append(row)
    if dimension == "priority":
        rows.sort(key=lambda row: (row["key"] is None, row["key"] or 0))
    else:
        rows.sort(key=lambda row: -row["total"])
    return Panel(
        key=f"backlog_{dimension}",
        title=str(_("Backlog and ageing by %(dimension)s") % {"dimension": DIMENSIONS[dimension].lower()}),
        columns=[
            Column("name", DIMENSIONS[dimension], "text"),
            *[Column(bucket, label) for bucket, label, _days in AGE_BUCKETS],
            Column("total", _("Total")),
        ],
        rows=rows,
        chart={"type": "bar", "x": "name", "series": [b for b, _l, _d in AGE_BUCKETS], "stacked": True},
        definition=str(_("Open records now, by how long ago they were logged. The period does not apply.")),
    )  # fmt: skip


def reassignments(scope: Scope) -> Panel:
    rows = []
    grouped = {
        key: values
        for key, values in rollup.totals(scope, "resolved", "support_group_id").items()
        if values["resolved"]
    }
    names = _names("support_group", grouped)
    for key, row in grouped.items():
        rows.append(
            {
                "name": _name(names, key),
                "resolved": row["resolved"],
                "reassigned": row["reassigned"],
                "reassigned_pct": pct(row["reassigned"], row["resolved"]),
                "mean": round(row["reassignments"] / row["resolved"], 2),
            }
        )
    rows.sort(key=lambda row: -row["resolved"])
    return Panel(
        key="reassignments",
        title=str(_("Reassignments by resolving group")),
        columns=[
            Column("name", _("Support group"), "text"),
            Column("resolved", _("Resolved")),
            Column("reassigned", _("Reassigned")),
            Column("reassigned_pct", _("Reassigned share"), "pct"),
            Column("mean", _("Reassignments per record"), "decimal"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "name", "series": ["reassigned_pct"], "unit": "%"},
        definition=str(
            _("Records resolved in the period; a reassignment is a move to another group.")
        ),
    )
