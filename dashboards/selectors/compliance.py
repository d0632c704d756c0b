"""SLA compliance: met and breached agreements by period and dimension, breaches, and the
timers breached or breaching now."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards import rollup
from dashboards.facts import source
from dashboards.models import Outcome
from dashboards.scope import Scope
from dashboards.selectors.common import (
    DIMENSIONS,
    LIVE_LIMIT,
    Column,
    Panel,
    _field,
    _in,
    _name,
    _names,
    facts,
    pct,
)
from sla.models import Metric, SlaTimer, TimerState

# --- SLA compliance -----------------------------------------------------------------------------

METRICS = {
    "response": ("response_outcome", "response_ended_at", _("Response")),
    "resolution": ("resolution_outcome", "resolution_ended_at", _("Resolution")),
}


def _compliance(scope: Scope, group_by=None) -> dict:
    """{group key: {"response_met": n, "response_breached": n, "resolution_met": ...}}.

    A clock counts in the period it ended in: met if it stopped within its target, breached if
    it stopped after. Clocks still running are on the live panels instead.
    """
    key = {None: None, "bucket": "bucket"}.get(group_by, _field(group_by) if group_by else None)
    out: dict = {}
    for metric in METRICS:
        for group, values in rollup.totals(scope, metric, key).items():
            out.setdefault(group, {}).update(values)
    for values in out.values():
        for metric in METRICS:
            met = values.setdefault(f"{metric}_met", 0)
            breached = values.setdefault(f"{metric}_breached", 0)
            values[f"{metric}_pct"] = pct(met, met + breached)
    if group_by is not None:
        out = {
            k: v
            for k, v in out.items()
            if v["response_met"]
            + v["response_breached"]
            + v["resolution_met"]
            + v["resolution_breached"]
        }
    return out


def _compliance_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("response_met", _("Response met")),
        Column("response_breached", _("Response breached")),
        Column("response_pct", _("Response compliance"), "pct"),
        Column("resolution_met", _("Resolution met")),
        Column("resolution_breached", _("Resolution breached")),
        Column("resolution_pct", _("Resolution compliance"), "pct"),
    ]


COMPLIANCE_DEFINITION = _(
    "Compliance = met / (met + breached), for the SLA clocks that ended in the period. A clock is "
    "met when the record got its first response (or was resolved) within the target, in "
    "business time on the target's calendar."
)


def sla_summary(scope: Scope) -> Panel:
    values = _compliance(scope).get(None, {})
    rows = []
    for metric, (_outcome, _ended, label) in METRICS.items():
        met, breached = values[f"{metric}_met"], values[f"{metric}_breached"]
        rows.append(
            {
                "metric": str(label),
                "met": met,
                "breached": breached,
                "compliance": pct(met, met + breached),
            }
        )
    return Panel(
        key="sla_summary",
        title=str(_("SLA compliance")),
        columns=[
            Column("metric", _("Target"), "text"),
            Column("met", _("Met")),
            Column("breached", _("Breached")),
            Column("compliance", _("Compliance"), "pct"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "metric", "series": ["met", "breached"], "stacked": True},
        definition=str(COMPLIANCE_DEFINITION),
    )


def sla_trend(scope: Scope) -> Panel:
    from django.utils.formats import date_format

    values = _compliance(scope, "bucket")
    rows = []
    for bucket in scope.buckets():
        row = values.get(bucket) or {
            "response_met": 0, "response_breached": 0, "response_pct": None,
            "resolution_met": 0, "resolution_breached": 0, "resolution_pct": None,
        }  # fmt: skip
        rows.append({"bucket": bucket, "label": date_format(bucket, "SHORT_DATE_FORMAT"), **row})
    return Panel(
        key="sla_trend",
        title=str(_("Compliance trend")),
        columns=_compliance_columns(Column("bucket", _("From"), "date")),
        rows=rows,
        chart={
            "type": "line",
            "x": "label",
            "series": ["response_pct", "resolution_pct"],
            "unit": "%",
        },
        definition=str(COMPLIANCE_DEFINITION),
    )


def sla_by(scope: Scope, dimension: str) -> Panel:
    values = _compliance(scope, dimension)
    names = _names(dimension, values)
    rows = [
        {"key": key, "name": _name(names, key), **counts}
        for key, counts in sorted(
            values.items(), key=lambda kv: (kv[0] is None, _name(names, kv[0]))
        )
    ]
    if dimension == "priority":
        rows.sort(key=lambda row: (row["key"] is None, row["key"] or 0))
    return Panel(
        key=f"sla_by_{dimension}",
        title=str(_("Compliance by %(dimension)s") % {"dimension": DIMENSIONS[dimension].lower()}),
        columns=_compliance_columns(Column("name", DIMENSIONS[dimension], "text")),
        rows=rows,
        chart={
            "type": "bar",
            "x": "name",
            "series": ["response_pct", "resolution_pct"],
            "unit": "%",
        },
        definition=str(COMPLIANCE_DEFINITION),
    )


def _detail_url(record_type: str, number: str) -> str:
    return reverse(source(record_type).detail_url_name, args=[number])


def breaches(scope: Scope, limit: int = 100) -> Panel:
    """The clocks that ended breached in the period, newest first, each linked to its record
    (per metric: a backward scan of its partial index of breached clocks)."""
    found, total = [], 0
    fields = ["record_type", "object_id", "number", "priority", "service_id", "support_group_id"]
    for outcome, ended, label in METRICS.values():
        queryset = facts(scope).filter(_in(ended, scope), **{outcome: Outcome.BREACHED})
        total += queryset.count()
        for row in queryset.order_by(f"-{ended}", "-pk").values(*fields, ended)[:limit]:
            found.append({**row, "target": str(label), "ended_at": row.pop(ended)})
    found.sort(key=lambda row: row["ended_at"], reverse=True)
    found = found[:limit]
    services = _names("service", {row["service_id"] for row in found})
    groups = _names("support_group", {row["support_group_id"] for row in found})
    titles = _titles(found)
    rows = [
        {
            "number": row["number"],
            "url": _detail_url(row["record_type"], row["number"]),
            "title": titles.get((row["record_type"], row["object_id"]), ""),
            "target": row["target"],
            "priority": row["priority"],
            "service": services.get(row["service_id"], ""),
            "support_group": groups.get(row["support_group_id"], ""),
            "ended_at": row["ended_at"],
        }
        for row in found
    ]
    return Panel(
        key="breaches",
        title=str(_("Breaches in the period")),
        columns=[
            Column("number", _("Record"), "link"),
            Column("title", _("Title"), "text"),
            Column("target", _("Target"), "text"),
            Column("priority", _("Priority")),
            Column("service", _("Service"), "text"),
            Column("support_group", _("Support group"), "text"),
            Column("ended_at", _("Met late at"), "datetime"),
        ],
        rows=rows,
        note=str(
            _("%(shown)s of %(total)s breaches, newest first.")
            % {"shown": len(rows), "total": total}
        ),
        extra={"total": total},
    )


def _titles(rows) -> dict:
    by_type: dict[str, list] = {}
    for row in rows:
        by_type.setdefault(row["record_type"], []).append(row["object_id"])
    titles = {}
    for record_type, ids in by_type.items():
        model = source(record_type).model
        for pk, title in model.objects.filter(pk__in=ids).values_list("pk", "title"):
            titles[(record_type, pk)] = title
    return titles


def _live_timers(scope: Scope, *, breached: bool, now=None, window=timedelta(hours=2)) -> Panel:
    """Open records whose running clock is past due (or falls due within `window`)."""
    now = now or timezone.now()
    src = source(scope.record_type)
    model = src.model
    timers = SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(model), state=TimerState.RUNNING
    )
    if breached:
        timers = timers.filter(due_at__lte=now)
    else:
        timers = timers.filter(due_at__gt=now, due_at__lte=now + window)
    records = model.objects.filter(scope.record_q(model), status__in=src.open_statuses)
    found = list(
        timers.filter(object_id__in=records.values("pk"))
        .order_by("due_at" if not breached else "-due_at", "pk")
        .values("object_id", "metric", "due_at")[: LIVE_LIMIT + 1]
    )
    details = {
        row["pk"]: row
        for row in model.objects.filter(pk__in=[t["object_id"] for t in found]).values(
            "pk", "number", "title", "priority", "support_group__name"
        )
    }
    rows = []
    for timer in found[:LIVE_LIMIT]:
        record = details.get(timer["object_id"])
        if record is None:
            continue
        rows.append(
            {
                "number": record["number"],
                "url": reverse(src.detail_url_name, args=[record["number"]]),
                "title": record["title"],
                "target": str(Metric(timer["metric"]).label),
                "priority": record["priority"],
                "support_group": record["support_group__name"] or "",
                "due_at": timer["due_at"],
            }
        )
    more = len(found) > LIVE_LIMIT
    return Panel(
        key="breached_now" if breached else "breaching_soon",
        title=str(_("Past due now") if breached else _("Breaching in the next 2 hours")),
        columns=[
            Column("number", _("Record"), "link"),
            Column("title", _("Title"), "text"),
            Column("target", _("Target"), "text"),
            Column("priority", _("Priority")),
            Column("support_group", _("Support group"), "text"),
            Column("due_at", _("Due"), "datetime"),
        ],
        rows=rows,
        note=str(
            _("Live: open records, whatever the period. The first %(n)s are shown.")
            % {"n": LIVE_LIMIT}
            if more
            else _("Live: open records, whatever the period.")
        ),
    )


def breached_now(scope: Scope, now=None) -> Panel:
    return _live_timers(scope, breached=True, now=now)


def breaching_soon(scope: Scope, now=None) -> Panel:
    return _live_timers(scope, breached=False, now=now)
