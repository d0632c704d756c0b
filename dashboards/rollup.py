"""Sums over the facts: per month for the months that are over (`MonthlyStat`), from the facts
themselves for the rest, added together. The panels ask `totals()` and never care which.

A month is rebuilt from its facts with one INSERT ... SELECT (deterministic: rebuilding twice
gives the same rows); the facts refresh rebuilds the past months its changed records touch.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from dashboards.models import MonthlyStat, Outcome, RecordFact

DIMENSION_KEYS = ("priority", "service_id", "support_group_id", "organisation_id")

# What each kind of figure sums: (the facts' instant column, {name: fact aggregate}).
SPECS = {
    "response": (
        "response_ended_at",
        {
            "response_met": Count("pk", filter=Q(response_outcome=Outcome.MET)),
            "response_breached": Count("pk", filter=Q(response_outcome=Outcome.BREACHED)),
        },
    ),
    "resolution": (
        "resolution_ended_at",
        {
            "resolution_met": Count("pk", filter=Q(resolution_outcome=Outcome.MET)),
            "resolution_breached": Count("pk", filter=Q(resolution_outcome=Outcome.BREACHED)),
        },
    ),
    "created": ("created_at", {"opened": Count("pk")}),
    "rated": (
        "rated_at",
        {f"rating_{score}": Count("pk", filter=Q(rating=score)) for score in range(1, 6)},
    ),
    "resolved": (
        "resolved_at",
        {
            "resolved": Count("pk"),
            "first_contact": Count("pk", filter=Q(first_contact=True)),
            "reassigned": Count("pk", filter=Q(reassignments__gt=0)),
            "reassignments": Sum("reassignments"),
            "respond_sum": Sum("respond_seconds"),
            "respond_n": Count("respond_seconds"),
            "respond_business_sum": Sum("respond_business_seconds"),
            "respond_business_n": Count("respond_business_seconds"),
            "resolve_sum": Sum("resolve_seconds"),
            "resolve_n": Count("resolve_seconds"),
            "resolve_business_sum": Sum("resolve_business_seconds"),
            "resolve_business_n": Count("resolve_business_seconds"),
        },
    ),
}


def _tz():
    return timezone.get_current_timezone()


def month_start(value: date) -> date:
    return value.replace(day=1)


def next_month(value: date) -> date:
    return (value.replace(day=28) + timedelta(days=4)).replace(day=1)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), _tz())


def closed_months_before() -> date:
    """The first day of the current month: every month before it is over."""
    return month_start(timezone.localdate())


def split(start: datetime, end: datetime, *, monthly: bool = True):
    """([first month, month after the last) of whole past months or None, [fact ranges])."""
    if not monthly:
        return None, [(start, end)]
    tz = _tz()
    first_day = timezone.localtime(start, tz).date()
    first = first_day if first_day.day == 1 and _midnight(first_day) == start else None
    if first is None:
        first = next_month(month_start(first_day))
    last_day_after = timezone.localtime(end, tz).date()
    after = month_start(last_day_after)
    if _midnight(after) > end:
        after = month_start(after - timedelta(days=1))
    after = min(after, closed_months_before())
    if after <= first:
        return None, [(start, end)]
    ranges = []
    if start < _midnight(first):
        ranges.append((start, _midnight(first)))
    if _midnight(after) < end:
        ranges.append((_midnight(after), end))
    return (first, after), ranges


def totals(scope, kind: str, key: str | None = None) -> dict:
    """{group key: {name: sum}} of one kind of figure over the scope.

    key: None (one total), a dimension (priority, service_id, support_group_id,
    organisation_id) or "bucket" (the scope's trend bucket start, a date).
    """
    column, aggregates = SPECS[kind]
    monthly = key != "bucket" or scope.by == "month"
    months, ranges = split(scope.start, scope.end, monthly=monthly)
    out: dict = defaultdict(lambda: dict.fromkeys(aggregates, 0))
    for start, end in ranges:
        queryset = RecordFact.objects.filter(
            scope.fact_q(), **{f"{column}__gte": start, f"{column}__lt": end}
        )
        if key is None:
            _add(out[None], queryset.aggregate(**aggregates))
            continue
        if key == "bucket":
            queryset = queryset.annotate(key=Trunc(column, scope.by, tzinfo=_tz()))
        else:
            queryset = queryset.annotate(key=_f(key))
        for row in queryset.values("key").annotate(**aggregates).order_by():
            group = row.pop("key")
            if key == "bucket":
                group = timezone.localtime(group, _tz()).date()
            _add(out[group], row)
    if months:
        sums = {name: Sum(name) for name in aggregates}
        queryset = MonthlyStat.objects.filter(
            _dimension_q(scope), record_type=scope.record_type,
            month__gte=months[0], month__lt=months[1],
        )  # fmt: skip
        if key is None:
            _add(out[None], queryset.aggregate(**sums))
        else:
            group_by = "month" if key == "bucket" else key
            for row in queryset.values(group_by).annotate(**sums).order_by():
                _add(out[row.pop(group_by)], row)
    if key is None:
        out[None]  # noqa: B018 - a total exists even when nothing matched
    return dict(out)


def _f(key: str):
    from django.db.models import F

    return F(key)


def _dimension_q(scope) -> Q:
    q = Q()
    for name in ("service_id", "support_group_id", "organisation_id"):
        value = getattr(scope, name)
        if value:
            q &= Q(**{name: value})
    return q


def _add(target: dict, values: dict) -> None:
    for name, value in values.items():
        target[name] = (target.get(name) or 0) + (value or 0)


# --- Building the months ------------------------------------------------------------------------

_PARTS = {
    "created": ("created_at", "count(*) AS opened", "TRUE"),
    "resolved": (
        "resolved_at",
        "count(*) AS resolved, count(*) FILTER (WHERE first_contact) AS first_contact, "
        "count(*) FILTER (WHERE reassignments > 0) AS reassigned, "
        "coalesce(sum(reassignments), 0) AS reassignments, "
        "coalesce(sum(respond_seconds), 0) AS respond_sum, count(respond_seconds) AS respond_n, "
        "coalesce(sum(respond_business_seconds), 0) AS respond_business_sum, "
        "count(respond_business_seconds) AS respond_business_n, "
        "coalesce(sum(resolve_seconds), 0) AS resolve_sum, count(resolve_seconds) AS resolve_n, "
        "coalesce(sum(resolve_business_seconds), 0) AS resolve_business_sum, "
        "count(resolve_business_seconds) AS resolve_business_n",
        "resolved_at IS NOT NULL",
    ),
    "rated": (
        "rated_at",
        ", ".join(f"count(*) FILTER (WHERE rating = {n}) AS rating_{n}" for n in range(1, 6)),
        "rated_at IS NOT NULL",
    ),
    "response": (
        "response_ended_at",
        "count(*) FILTER (WHERE response_outcome = 'met') AS response_met, "
        "count(*) FILTER (WHERE response_outcome = 'breached') AS response_breached",
        "response_ended_at IS NOT NULL",
    ),
    "resolution": (
        "resolution_ended_at",
        "count(*) FILTER (WHERE resolution_outcome = 'met') AS resolution_met, "
        "count(*) FILTER (WHERE resolution_outcome = 'breached') AS resolution_breached",
        "resolution_ended_at IS NOT NULL",
    ),
}
MEASURES = [
    "opened", "resolved", "first_contact", "reassigned", "reassignments", "response_met",
    "response_breached", "resolution_met", "resolution_breached", "respond_sum", "respond_n",
    "respond_business_sum", "respond_business_n", "resolve_sum", "resolve_n",
    "resolve_business_sum", "resolve_business_n", "rating_1", "rating_2", "rating_3", "rating_4",
    "rating_5",
]  # fmt: skip
DIMS_SQL = "priority, service_id, support_group_id, organisation_id"


def rebuild_month(record_type: str, month: date) -> None:
    """Replace one month's rows with sums of its facts (one set-based statement). The SQL is
    built from the constants above only; the values are parameters."""
    start, end = _midnight(month), _midnight(next_month(month))
    parts, params = [], []
    for column, select, where in _PARTS.values():
        named = select_names(select)
        padding = ", ".join(f"0 AS {name}" for name in MEASURES if name not in named)
        inner = (
            f"SELECT {DIMS_SQL}, {select} FROM dashboards_recordfact"  # noqa: S608
            f" WHERE record_type = %s AND {where} AND {column} >= %s AND {column} < %s"
            f" GROUP BY {DIMS_SQL}"
        )
        parts.append(
            f"SELECT {DIMS_SQL}, {', '.join(MEASURES)} FROM "  # noqa: S608
            f"(SELECT *, {padding} FROM ({inner}) i) p"
        )
        params += [record_type, start, end]
    sums = ", ".join(f"coalesce(sum({name}), 0)" for name in MEASURES)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM dashboards_monthlystat WHERE record_type = %s AND month = %s",
            [record_type, month],
        )
        cursor.execute(
            f"INSERT INTO dashboards_monthlystat (month, record_type, {DIMS_SQL}, "  # noqa: S608
            f"{', '.join(MEASURES)}) SELECT %s, %s, {DIMS_SQL}, {sums} "
            f"FROM ({' UNION ALL '.join(parts)}) s GROUP BY {DIMS_SQL}",
            [month, record_type, *params],
        )


def select_names(select: str) -> set[str]:
    return {part.rsplit(" AS ", 1)[1].strip() for part in select.split(", ") if " AS " in part}


def months_of(rows) -> set[date]:
    """The months (local) of every instant of these fact rows (dicts of the four columns)."""
    tz = _tz()
    months = set()
    for row in rows:
        for column in (
            "created_at", "resolved_at", "response_ended_at", "resolution_ended_at", "rated_at",
        ):  # fmt: skip
            value = row.get(column)
            if value is not None:
                months.add(month_start(timezone.localtime(value, tz).date()))
    return months


def rebuild(record_type: str, months) -> int:
    """Rebuild these months, those that are over; returns how many."""
    done = 0
    before = closed_months_before()
    for month in sorted(set(months)):
        if month < before:
            rebuild_month(record_type, month)
            done += 1
    return done


def rebuild_all(record_type: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM dashboards_monthlystat WHERE record_type = %s", [record_type])
    first = RecordFact.objects.filter(record_type=record_type).order_by("created_at").first()
    if first is None:
        return 0
    months, month = [], month_start(timezone.localtime(first.created_at, _tz()).date())
    while month < closed_months_before():
        months.append(month)
        month = next_month(month)
    return rebuild(record_type, months)
