"""The dashboards' figures. Every panel is one or two aggregate queries on `RecordFact` (the
rollup, see `dashboards.facts`) or, for what is true now (backlog, breaches running, breaching
soon), on the record and timer tables' partial indexes. Nothing loops over records in Python.

Each panel returns a `Panel`: titled columns and rows of raw values (JSON, CSV), formatted for
the page by `dashboards.formatting`, with an optional chart description drawn in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, SupportGroup
from dashboards import rollup
from dashboards.facts import source
from dashboards.models import Outcome, RecordFact
from dashboards.scope import Scope
from servicedesk import registry
from sla.models import Metric, SlaTimer, TimerState

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# The seed's service-quality targets (../shared/ITIL.md, "Service quality targets").
TARGET_AVAILABILITY = 99.6  # % of the period's hours, per service
TARGET_MTBF_HOURS = 340.0  # more than
TARGET_FAULTS_PER_MONTH = 5  # at most
TARGET_FIRST_CONTACT = 75.0  # % at least
TARGET_HOTLINE_INDEX = 92.0  # % at least
TARGET_SATISFACTION_10 = 8.5  # mean on a 10-point scale
DAYS_PER_MONTH = 30.4375
AGE_BUCKETS = [
    ("lt1d", _("< 1 day"), 1),
    ("d1_3", _("1-3 days"), 3),
    ("d3_7", _("3-7 days"), 7),
    ("d7_30", _("7-30 days"), 30),
    ("gt30d", _("> 30 days"), None),
]
LIVE_LIMIT = 50


@dataclass
class Column:
    key: str
    label: str | StrPromise
    kind: str = "int"  # text, int, pct, hours, decimal, date, datetime, link


@dataclass
class Panel:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: dict | None = None
    definition: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


def pct(part, whole) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def hours(seconds) -> float | None:
    return round(seconds / 3600.0, 2) if seconds is not None else None


class Percentiles(Aggregate):
    """PostgreSQL's percentile_cont(ARRAY[p, ...]) WITHIN GROUP (ORDER BY expression): several
    percentiles from one sort."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions, **extra):
        from django.contrib.postgres.fields import ArrayField

        text = ", ".join(f"{float(f)!r}::float8" for f in fractions)
        super().__init__(expression, fractions=text, output_field=ArrayField(FloatField()), **extra)


def facts(scope: Scope):
    return RecordFact.objects.filter(scope.fact_q())


def _in(field_name: str, scope: Scope) -> Q:
    return Q(**{f"{field_name}__gte": scope.start, f"{field_name}__lt": scope.end})


# --- Names of the dimensions --------------------------------------------------------------------

DIMENSIONS = {
    "priority": _("Priority"),
    "service": _("Service"),
    "support_group": _("Support group"),
    "organisation": _("Organisation"),
}


def _names(dimension: str, keys) -> dict:
    keys = [key for key in keys if key is not None]
    if dimension == "priority":
        levels = dict(registry.shared_model("priority_level").objects.values_list("level", "name"))
        return {key: f"P{key} {levels.get(key, '')}".strip() for key in keys}
    model = {
        "service": registry.shared_model("service"),
        "support_group": SupportGroup,
        "organisation": Organisation,
    }[dimension]
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))


def _name(names: dict, key) -> str:
    if key is None:
        return str(_("(none)"))
    return names.get(key, str(key))


def _field(dimension: str) -> str:
    return dimension if dimension == "priority" else f"{dimension}_id"


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


# --- KPIs ---------------------------------------------------------------------------------------


def resolved(scope: Scope):
    return facts(scope).filter(_in("resolved_at", scope))


DURATIONS = {
    "respond_seconds": "respond",
    "respond_business_seconds": "respond_business",
    "resolve_seconds": "resolve",
    "resolve_business_seconds": "resolve_business",
}


def resolution_figures(scope: Scope) -> dict:
    """Counts and mean durations over the records resolved in the period (the rollup), and the
    median and 90th percentile of each duration (one sort per duration, on the facts)."""
    sums = rollup.totals(scope, "resolved")[None]
    figures = {name: sums.get(name, 0) for name in ("resolved", "first_contact", "reassigned")}
    figures["reassignments"] = sums.get("reassignments", 0)
    percentiles = _percentiles(scope, figures["resolved"])
    for column, prefix in DURATIONS.items():
        n = sums.get(f"{prefix}_n", 0)
        figures[f"{column}_mean"] = sums.get(f"{prefix}_sum", 0) / n if n else None
        values = percentiles[column] or [None, None]
        figures[f"{column}_p50"], figures[f"{column}_p90"] = values
    return figures


EXACT_PERCENTILE_DAYS = 92
EXACT_PERCENTILE_ROWS = 50_000
SAMPLE_PERCENT = 10


def _percentiles(scope: Scope, rows: int) -> dict:
    """Median and 90th percentile of each duration over the `rows` records resolved in the period.

    Exact up to a quarter or 50,000 records; beyond both, estimated from a 10% block sample of
    the facts (TABLESAMPLE SYSTEM, repeatable): sorting a year's 300,000 rows four times takes
    a third of a second, the sample 40 ms, within 1-3% of the exact figures at 1M incidents.
    """
    if connection.vendor != "postgresql":  # development databases: small, sorted in Python
        return {
            column: percentile_cont(resolved(scope).values_list(column, flat=True), (0.5, 0.9))
            for column in DURATIONS
        }
    small = scope.days <= EXACT_PERCENTILE_DAYS or rows <= EXACT_PERCENTILE_ROWS
    if small:
        return resolved(scope).aggregate(
            **{column: Percentiles(column, (0.5, 0.9)) for column in DURATIONS}
        )
    where = ["record_type = %s", "resolved_at >= %s", "resolved_at < %s"]
    params: list = [scope.record_type, scope.start, scope.end]
    for name in ("service_id", "support_group_id", "organisation_id"):
        if getattr(scope, name):
            where.append(f"{name} = %s")
            params.append(getattr(scope, name))
    columns = ", ".join(
        f"percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY {column})"
        for column in DURATIONS
    )
    sql = (
        f"SELECT {columns} FROM dashboards_recordfact"  # noqa: S608 - constant names only
        f" TABLESAMPLE SYSTEM ({SAMPLE_PERCENT}) REPEATABLE (7) WHERE {' AND '.join(where)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
    return dict(zip(DURATIONS, values, strict=True))


def percentile_cont(values, fractions) -> list[float] | None:
    """PostgreSQL's percentile_cont in Python: interpolated between the two nearest values;
    None when there is no value (as the database returns NULL)."""
    ordered = sorted(value for value in values if value is not None)
    if not ordered:
        return None
    result = []
    for fraction in fractions:
        position = fraction * (len(ordered) - 1)
        below = int(position)
        above = min(below + 1, len(ordered) - 1)
        result.append(ordered[below] + (ordered[above] - ordered[below]) * (position - below))
    return result


def satisfaction_counts(scope: Scope) -> dict[int, int]:
    """Ratings given in the period, per score, on the records the filters select (the rollup:
    a record's rating is part of its fact row)."""
    sums = rollup.totals(scope, "rated")[None]
    return {score: sums.get(f"rating_{score}", 0) for score in range(1, 6)}


def hotline_index(counts: dict[int, int]) -> float | None:
    """The seed's hotline satisfaction index: [1 - (very dissatisfied x 3 + dissatisfied x 2 +
    neutral x 1) / total] x 100%, with scores 1, 2, 3 = very dissatisfied, dissatisfied, neutral,
    floored at 0%: the seed's formula alone falls to -200% when every rating is 1, and an index
    is read as a share of 0-100%."""
    total = sum(counts.values())
    if not total:
        return None
    weighted = counts.get(1, 0) * 3 + counts.get(2, 0) * 2 + counts.get(3, 0)
    return max(0.0, round((1 - weighted / total) * 100, 2))


def mean_rating(counts: dict[int, int]) -> float | None:
    total = sum(counts.values())
    return round(sum(score * n for score, n in counts.items()) / total, 2) if total else None


def opened_count(scope: Scope) -> int:
    return rollup.totals(scope, "created")[None]["opened"]


def backlog_count(scope: Scope) -> int:
    return facts(scope).filter(is_open=True).count()


def summary(scope: Scope) -> dict:
    """The headline numbers: the KPI panel, the e-mailed report and the tests read these."""
    figures = resolution_figures(scope)
    compliance = _compliance(scope).get(None, {})
    ratings = satisfaction_counts(scope)
    return {
        "opened": opened_count(scope),
        "resolved": figures["resolved"],
        "backlog": backlog_count(scope),
        "first_contact": figures["first_contact"],
        "first_contact_pct": pct(figures["first_contact"], figures["resolved"]),
        "reassigned_pct": pct(figures["reassigned"], figures["resolved"]),
        "reassignments_mean": (
            round(figures["reassignments"] / figures["resolved"], 2)
            if figures["resolved"]
            else None
        ),
        "response_met": compliance.get("response_met", 0),
        "response_breached": compliance.get("response_breached", 0),
        "response_pct": compliance.get("response_pct"),
        "resolution_met": compliance.get("resolution_met", 0),
        "resolution_breached": compliance.get("resolution_breached", 0),
        "resolution_pct": compliance.get("resolution_pct"),
        "respond_hours_mean": hours(figures["respond_seconds_mean"]),
        "respond_business_hours_mean": hours(figures["respond_business_seconds_mean"]),
        "resolve_hours_mean": hours(figures["resolve_seconds_mean"]),
        "resolve_hours_p90": hours(figures["resolve_seconds_p90"]),
        "resolve_business_hours_mean": hours(figures["resolve_business_seconds_mean"]),
        "resolve_business_hours_p90": hours(figures["resolve_business_seconds_p90"]),
        "ratings": sum(ratings.values()),
        "hotline_index": hotline_index(ratings),
        "mean_rating": mean_rating(ratings),
        "figures": figures,
        "rating_counts": ratings,
    }


def _status(value, target, *, higher_is_better=True) -> str:
    if value is None:
        return ""
    good = value >= target if higher_is_better else value <= target
    return "ok" if good else "bad"


def _kpi(label, value, *, definition, unit="", target="", status="") -> dict:
    """One row of the KPI table: the indicator, its value, target and status, and its
    definition shown beside it."""
    return {"kpi": str(label), "value": value, "unit": unit, "target": target, "status": status,
            "definition": str(definition)}  # fmt: skip


def kpi_summary(scope: Scope, numbers: dict | None = None) -> Panel:
    n = numbers or summary(scope)
    mean10 = round(n["mean_rating"] * 2, 2) if n["mean_rating"] is not None else None
    rows = [
        _kpi(_("First-contact resolution"), n["first_contact_pct"], unit="%",
             target=f"≥ {TARGET_FIRST_CONTACT:g}%",
             status=_status(n["first_contact_pct"], TARGET_FIRST_CONTACT),
             definition=_("Records solved at first contact / all records resolved in the period.")),
        _kpi(_("Resolution SLA compliance"), n["resolution_pct"], unit="%",
             definition=_("Resolution clocks met / (met + breached), ended in the period.")),
        _kpi(_("Response SLA compliance"), n["response_pct"], unit="%",
             definition=_("First-response clocks met / (met + breached), ended in the period.")),
        _kpi(_("Hotline satisfaction index"), n["hotline_index"], unit="%",
             target=f"≥ {TARGET_HOTLINE_INDEX:g}%",
             status=_status(n["hotline_index"], TARGET_HOTLINE_INDEX),
             definition=_(
                "[1 - (very dissatisfied x 3 + dissatisfied x 2 + neutral x 1) / total] x 100%, "
                "over the ratings given in the period (1 = very dissatisfied, 2 = dissatisfied, "
                "3 = neutral), never below 0%: many poor ratings would otherwise take it "
                "down to -200%."
            )),
        _kpi(_("Mean rating (1-5)"), n["mean_rating"],
             definition=_("Mean of the ratings given in the period.")),
        _kpi(_("Overall satisfaction (of 10)"), mean10,
             target=f"≥ {TARGET_SATISFACTION_10:g}", status=_status(mean10, TARGET_SATISFACTION_10),
             definition=_("The mean rating on the service quality plan's 10-point scale (mean x 2).")),
        _kpi(_("Mean time to respond (h)"), n["respond_hours_mean"], unit="h",
             definition=_("From logging to the first public reply, calendar hours, records resolved in the period.")),
        _kpi(_("Mean time to resolve (h)"), n["resolve_hours_mean"], unit="h",
             definition=_("From logging to resolution, calendar hours, records resolved in the period.")),
        _kpi(_("Mean time to resolve, business hours"), n["resolve_business_hours_mean"], unit="h",
             definition=_("The resolution clock: working hours of the SLA calendar, pauses excluded.")),
        _kpi(_("Reassigned"), n["reassigned_pct"], unit="%",
             definition=_("Records resolved in the period that changed support group at least once.")),
        _kpi(_("Opened"), n["opened"],
             definition=_("Records logged in the period.")),
        _kpi(_("Resolved"), n["resolved"],
             definition=_("Records resolved in the period.")),
        _kpi(_("Backlog now"), n["backlog"],
             definition=_("Open records now, whatever the period.")),
    ]  # fmt: skip
    return Panel(
        key="kpis",
        title=str(_("Key performance indicators")),
        columns=[
            Column("kpi", _("Indicator"), "text"),
            Column("value", _("Value"), "decimal"),
            Column("target", _("Target"), "text"),
            Column("status", _("Status"), "status"),
            Column("definition", _("Definition"), "text"),
        ],
        rows=rows,
    )


def times(scope: Scope, figures: dict | None = None) -> Panel:
    f = figures or resolution_figures(scope)
    rows = []
    for column, label in (
        ("respond_seconds", _("Respond, calendar time")),
        ("respond_business_seconds", _("Respond, business time")),
        ("resolve_seconds", _("Resolve, calendar time")),
        ("resolve_business_seconds", _("Resolve, business time")),
    ):
        rows.append(
            {
                "measure": str(label),
                "mean": hours(f[f"{column}_mean"]),
                "p50": hours(f[f"{column}_p50"]),
                "p90": hours(f[f"{column}_p90"]),
            }
        )
    return Panel(
        key="times",
        title=str(_("Time to respond and to resolve (hours)")),
        columns=[
            Column("measure", _("Measure"), "text"),
            Column("mean", _("Mean"), "hours"),
            Column("p50", _("Median"), "hours"),
            Column("p90", _("90th percentile"), "hours"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "measure", "series": ["mean", "p50", "p90"], "unit": "h"},
        definition=str(_(
            # xgettext:no-python-format
            "Records resolved in the period. Calendar time counts every hour; business time is "
            "the SLA clock: working hours of the target's calendar, pauses excluded. Means are "
            "exact; for periods longer than a quarter with more than 50,000 records, the median "
            "and 90th percentile are estimated from a 10% sample."
        )),
    )  # fmt: skip


def volume_trend(scope: Scope) -> Panel:
    from django.utils.formats import date_format

    opened = {k: v["opened"] for k, v in rollup.totals(scope, "created", "bucket").items()}
    done = {
        k: {"n": v["resolved"], "fcr": v["first_contact"]}
        for k, v in rollup.totals(scope, "resolved", "bucket").items()
    }
    rows = []
    for bucket in scope.buckets():
        d = done.get(bucket, {"n": 0, "fcr": 0})
        rows.append(
            {
                "bucket": bucket,
                "label": date_format(bucket, "SHORT_DATE_FORMAT"),
                "opened": opened.get(bucket, 0),
                "resolved": d["n"],
                "first_contact": d["fcr"],
                "first_contact_pct": pct(d["fcr"], d["n"]),
            }
        )
    return Panel(
        key="volume",
        title=str(_("Opened, resolved and first-contact resolution")),
        columns=[
            Column("bucket", _("From"), "date"),
            Column("opened", _("Opened")),
            Column("resolved", _("Resolved")),
            Column("first_contact", _("At first contact")),
            Column("first_contact_pct", _("First-contact resolution"), "pct"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "label", "series": ["opened", "resolved"]},
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


def satisfaction(scope: Scope, counts: dict | None = None) -> Panel:
    counts = counts or satisfaction_counts(scope)
    labels = {
        1: _("1 Very dissatisfied"),
        2: _("2 Dissatisfied"),
        3: _("3 Neutral"),
        4: _("4 Satisfied"),
        5: _("5 Very satisfied"),
    }
    total = sum(counts.values())
    rows = [
        {"score": str(labels[score]), "ratings": counts[score], "share": pct(counts[score], total)}
        for score in range(1, 6)
    ]
    return Panel(
        key="satisfaction",
        title=str(_("Satisfaction ratings")),
        columns=[
            Column("score", _("Rating"), "text"),
            Column("ratings", _("Ratings")),
            Column("share", _("Share"), "pct"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "score", "series": ["ratings"]},
        definition=str(_(
            "Hotline satisfaction index %(index)s; mean rating %(mean)s (ratings given in the period)."
        ) % {"index": _fmt_pct(hotline_index(counts)), "mean": _fmt_num(mean_rating(counts))}),
    )  # fmt: skip


def _fmt_pct(value) -> str:
    from django.utils.formats import number_format

    return "—" if value is None else f"{number_format(value, 2)}%"


def _fmt_num(value) -> str:
    from django.utils.formats import number_format

    return "—" if value is None else number_format(value, 2)


def per_service(scope: Scope) -> Panel:
    opened = {
        k: v["opened"]
        for k, v in rollup.totals(scope, "created", "service_id").items()
        if v["opened"]
    }
    done = {
        k: v["resolved"]
        for k, v in rollup.totals(scope, "resolved", "service_id").items()
        if v["resolved"]
    }
    keys = set(opened) | set(done)
    names = _names("service", keys)
    rows = sorted(
        (
            {"name": _name(names, key), "opened": opened.get(key, 0), "resolved": done.get(key, 0)}
            for key in keys
        ),
        key=lambda row: (-row["opened"], row["name"]),
    )
    return Panel(
        key="per_service",
        title=str(_("Records per service")),
        columns=[
            Column("name", _("Service"), "text"),
            Column("opened", _("Opened")),
            Column("resolved", _("Resolved")),
        ],
        rows=rows,
        chart={"type": "bar", "x": "name", "series": ["opened", "resolved"], "horizontal": True},
    )


def availability(scope: Scope, now=None) -> Panel:
    """Per service: outage hours of major incidents in the period, availability, faults, MTBF.

    availability = uptime / hours of the period (up to now); MTBF = uptime / (faults + 1),
    on target when over 340 h or when there was no fault; a fault is a major incident whose
    outage started in the period. Outages overlapping the
    period's edges count for their part inside it.
    """
    Incident = registry.get("incident").model_class  # noqa: N806

    now = now or timezone.now()
    end = min(scope.end, max(now, scope.start))
    period_hours = (end - scope.start).total_seconds() / 3600
    months = scope.days / DAYS_PER_MONTH
    fault_target = TARGET_FAULTS_PER_MONTH * max(months, 1 / DAYS_PER_MONTH)
    overlap = ExpressionWrapper(
        Least(Coalesce("outage_ended_at", Value(now)), Value(end))
        - Greatest("outage_started_at", Value(scope.start)),
        output_field=DurationField(),
    )
    outages: dict[int, Any] = {
        row["service_id"]: row
        for row in Incident.objects.filter(
            scope.record_q(Incident),
            major_incident=True,
            service__isnull=False,
            outage_started_at__isnull=False,
            outage_started_at__lt=end,
        )
        .filter(Q(outage_ended_at__isnull=True) | Q(outage_ended_at__gt=scope.start))
        .values("service_id")
        .annotate(
            down=Sum(overlap),
            faults=Count("pk", filter=Q(outage_started_at__gte=scope.start)),
        )
        .order_by()
    }
    Service = registry.shared_model("service")  # noqa: N806
    services = Service.objects.filter(is_active=True)
    if scope.service_id:
        services = Service.objects.filter(pk=scope.service_id)
    rows = []
    for service_id, name in services.order_by("name").values_list("pk", "name"):
        row = outages.get(service_id, {"down": timedelta(0), "faults": 0})
        down = min(max(row["down"].total_seconds() / 3600, 0.0), period_hours)
        uptime = period_hours - down
        available = round(100 * uptime / period_hours, 3) if period_hours > 0 else None
        mtbf = round(uptime / (row["faults"] + 1), 1)
        rows.append(
            {
                "name": name,
                "outage_hours": round(down, 2),
                "faults": row["faults"],
                "availability": available,
                "availability_ok": _status(available, TARGET_AVAILABILITY),
                "mtbf_hours": mtbf,
                # No fault at all cannot miss a time-between-failures target, however short
                # the period (a month's first day has 24 h of uptime, far below 340 h).
                "mtbf_ok": "ok" if mtbf > TARGET_MTBF_HOURS or not row["faults"] else "bad",
                "faults_ok": "ok" if row["faults"] <= fault_target else "bad",
            }
        )
    rows.sort(key=lambda row: (row["availability"] or 0, row["name"]))
    return Panel(
        key="availability",
        title=str(_("Availability, faults and MTBF per service")),
        columns=[
            Column("name", _("Service"), "text"),
            Column("outage_hours", _("Outage (h)"), "hours"),
            Column("availability", _("Availability"), "pct3"),
            Column("availability_ok", _("Target 99.6%"), "status"),
            Column("faults", _("Faults")),
            Column("faults_ok", _("Target ≤ 5 a month"), "status"),
            Column("mtbf_hours", _("MTBF (h)"), "hours"),
            Column("mtbf_ok", _("Target > 340 h"), "status"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "name", "series": ["availability"], "unit": "%", "horizontal": True},
        definition=str(_(
            "Availability = uptime / hours in the period (up to now); MTBF = uptime / (faults + "
            "1); a fault is a major incident whose outage started in the period, the outage "
            "being the window recorded on the incident. Targets are the service quality plan's monthly ones; "
            "the fault-count target is scaled to the period's length."
        )),
    )  # fmt: skip


# --- Pages --------------------------------------------------------------------------------------

SLA_PANELS = {
    "sla_summary": sla_summary,
    "sla_trend": sla_trend,
    "sla_by_priority": lambda scope: sla_by(scope, "priority"),
    "sla_by_service": lambda scope: sla_by(scope, "service"),
    "sla_by_support_group": lambda scope: sla_by(scope, "support_group"),
    "sla_by_organisation": lambda scope: sla_by(scope, "organisation"),
    "breaches": breaches,
    "breached_now": breached_now,
    "breaching_soon": breaching_soon,
}
KPI_PANELS = {
    "kpis": kpi_summary,
    "times": times,
    "volume": volume_trend,
    "backlog_priority": lambda scope: backlog(scope, "priority"),
    "backlog_support_group": lambda scope: backlog(scope, "support_group"),
    "reassignments": reassignments,
    "satisfaction": satisfaction,
    "per_service": per_service,
    "availability": availability,
}
PANELS = {**SLA_PANELS, **KPI_PANELS}


def kpi_page(scope: Scope) -> list[Panel]:
    """The KPI panels, sharing the one summary query set between the table and its parts."""
    numbers = summary(scope)
    return [
        kpi_summary(scope, numbers),
        times(scope, numbers["figures"]),
        volume_trend(scope),
        backlog(scope, "priority"),
        backlog(scope, "support_group"),
        reassignments(scope),
        satisfaction(scope, numbers["rating_counts"]),
        per_service(scope),
        availability(scope),
    ]


def sla_page(scope: Scope) -> list[Panel]:
    return [function(scope) for function in SLA_PANELS.values()]
