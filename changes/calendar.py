"""The change calendar's reads: the changes, blackouts and maintenance windows of a window of
time (a month, a week, a day, or an API caller's window), filtered by service, CI, group and
risk; laid out in days in the reader's time zone.

One query for the changes (the window index, `chg_window_idx`), only the columns a calendar
entry shows; one for each kind of window. A month of 5,000 changes is grouped in Python and each
day shows its first entries with a count of the rest (the day view lists them all).
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Func, IntegerField, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from changes.collisions import WINDOWED_STATUSES, windows_overlapping
from changes.models import BlackoutWindow, Change, MaintenanceWindow
from changes.selectors import changes_visible_to

VIEWS = ("month", "week", "day")
PER_DAY = 6  # entries a month or week cell shows before "n more"
MAX_WINDOW = timedelta(days=92)  # the longest window the API gives at once
# What the calendar shows: the changes whose window still matters, and those done.
CALENDAR_STATUSES = (*WINDOWED_STATUSES, "review", "closed")
ENTRY_FIELDS = (
    "pk",
    "number",
    "title",
    "status",
    "change_type",
    "risk_level",
    "planned_start",
    "planned_end",
    "support_group__name",
)


@dataclass
class Filters:
    service: int | None = None
    ci: int | None = None
    group: int | None = None
    risk: str = ""

    def as_query(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in (
                ("service", self.service),
                ("ci", self.ci),
                ("group", self.group),
                ("risk", self.risk),
            )
            if value
        }


def parse_filters(data: Any) -> Filters:
    """The calendar's filters from a query string; a bad one is a ValidationError by field."""
    errors: dict[str, str] = {}
    found = Filters()
    for name in ("service", "ci", "group"):
        raw = (data.get(name) or "").strip()
        if raw:
            if raw.isdigit() and len(raw) < 19:
                setattr(found, name, int(raw))
            else:
                errors[name] = _("Choose one from the list.")
    risk = (data.get("risk") or "").strip()
    from changes.choices import RiskLevel

    if risk and risk not in RiskLevel.values:
        errors["risk"] = _("Choose one from the list.")
    found.risk = risk if "risk" not in errors else ""
    if errors:
        raise ValidationError(errors)
    return found


def _moment(raw: str, *, end: bool) -> datetime | None:
    day = parse_date(raw) if len(raw) == 10 else None
    if day is not None:
        value: datetime | None = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    else:
        value = parse_datetime(raw)
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_window(data: Any) -> tuple[datetime, datetime]:
    """`start` and `end` (ISO dates or date-times; a date ending the window counts whole) as a
    window no longer than MAX_WINDOW; else a ValidationError by field."""
    errors: dict[str, str] = {}
    bounds: dict[str, datetime] = {}
    for name in ("start", "end"):
        raw = (data.get(name) or "").strip()
        if not raw:
            errors[name] = _("Give a date (YYYY-MM-DD) or a date and time (ISO 8601).")
            continue
        try:
            value = _moment(raw, end=name == "end")
        except ValueError:
            value = None
        if value is None:
            errors[name] = _("“%(value)s” is not a date (YYYY-MM-DD) or an ISO 8601 date and time.") % {"value": raw[:40]}  # fmt: skip
        else:
            bounds[name] = value
    if not errors:
        if bounds["end"] <= bounds["start"]:
            errors["end"] = _("The end must come after the start.")
        elif bounds["end"] - bounds["start"] > MAX_WINDOW:
            errors["end"] = _("Ask for %(days)d days at most.") % {"days": MAX_WINDOW.days}
    if errors:
        raise ValidationError(errors)
    return bounds["start"], bounds["end"]


def calendar_changes(
    *, user: Any, starts_at: datetime, ends_at: datetime, filters: Filters | None = None
) -> QuerySet[Change]:
    """The changes the user may see whose planned window overlaps [starts_at, ends_at),
    earliest first, as rows of ENTRY_FIELDS."""
    rows = changes_visible_to(user).filter(
        planned_start__lt=ends_at, planned_end__gt=starts_at, status__in=CALENDAR_STATUSES
    )
    filters = filters or Filters()
    if filters.service:
        rows = rows.filter(services=filters.service)
    if filters.ci:
        rows = rows.filter(configuration_items=filters.ci)
    if filters.group:
        rows = rows.filter(support_group=filters.group)
    if filters.risk:
        rows = rows.filter(risk_level=filters.risk)
    return rows.order_by("planned_start", "id")


def calendar_windows(
    *, starts_at: datetime, ends_at: datetime, filters: Filters | None = None
) -> dict[str, list[Any]]:
    """Blackout and maintenance windows overlapping the window (a service filter keeps the
    freezes on everything and the service's own)."""
    blackouts = windows_overlapping(BlackoutWindow, starts_at=starts_at, ends_at=ends_at)
    maintenance = windows_overlapping(MaintenanceWindow, starts_at=starts_at, ends_at=ends_at)
    if filters and filters.service:
        from django.db.models import Q

        blackouts = blackouts.filter(Q(service__isnull=True) | Q(service=filters.service))
        maintenance = maintenance.filter(service=filters.service)
    return {"blackouts": list(blackouts), "maintenance": list(maintenance)}


class _DayNumber(Func):
    """A date as the number of days since `since` (the grid's first day), in the database: an
    integer needs no conversion in Python."""

    output_field = IntegerField()

    def __init__(self, expression, *, since: date):
        super().__init__(expression)
        self.since = since.isoformat()  # a date's ISO text: nothing a person typed
        self.template = f"(%(expressions)s - DATE '{self.since}')"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite has no date arithmetic: the difference of the two Julian day numbers.
        template = f"CAST(julianday(%(expressions)s) - julianday('{self.since}') AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


@dataclass
class Day:
    day: date
    in_range: bool
    is_today: bool
    entries: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0
    blackouts: list[Any] = field(default_factory=list)
    maintenance: list[Any] = field(default_factory=list)


@dataclass
class CalendarPage:
    view: str
    anchor: date
    starts_at: datetime
    ends_at: datetime
    days: list[Day]
    total: int
    previous: date
    following: date
    windows: dict[str, list[Any]]

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[i : i + 7] for i in range(0, len(self.days), 7)]


def _span(view: str, anchor: date, first_weekday: int) -> tuple[date, date, date, date, date]:
    """(first day shown, the day after the last, the previous and next pages' dates, the date
    the page is named by)."""
    one, week = timedelta(days=1), timedelta(days=7)
    if view == "day":
        return anchor, anchor + one, anchor - one, anchor + one, anchor
    week_start = anchor - timedelta(days=(anchor.weekday() - first_weekday) % 7)
    if view == "week":
        return week_start, week_start + week, week_start - week, week_start + week, week_start
    first = anchor.replace(day=1)
    following = first.replace(day=pycalendar.monthrange(first.year, first.month)[1]) + one
    grid_start = first - timedelta(days=(first.weekday() - first_weekday) % 7)
    grid_end = following + timedelta(days=(first_weekday - following.weekday()) % 7)
    return grid_start, grid_end, (first - one).replace(day=1), following, first


def calendar_page(
    *, user: Any, view: str, anchor: date, filters: Filters, first_weekday: int = 0
) -> CalendarPage:
    """A month (a grid of whole weeks), a week or a day of the calendar, in the current time
    zone: each day with the changes overlapping it (a month or week cell its first PER_DAY)
    and the windows covering it."""
    if view not in VIEWS:
        view = "month"
    grid_start, grid_end, previous, following, shown = _span(view, anchor, first_weekday)
    zone = timezone.get_current_timezone()
    starts_at = datetime.combine(grid_start, time.min, tzinfo=zone)
    ends_at = datetime.combine(grid_end, time.min, tzinfo=zone)
    today = timezone.localdate()
    in_range = (lambda d: d.month == shown.month) if view == "month" else (lambda d: True)
    count = (grid_end - grid_start).days
    days = [
        Day(d, in_range(d), d == today) for d in (grid_start + timedelta(n) for n in range(count))
    ]
    limit = None if view == "day" else PER_DAY
    rows = calendar_changes(user=user, starts_at=starts_at, ends_at=ends_at, filters=filters)
    # First the days each change covers, in the reader's zone, computed by the database (the
    # end is exclusive: a change ending at midnight does not cover the next day): three small
    # columns a row, read from the window index. Then the entries the cells show (a month of
    # 5,000 changes shows at most 6 a day), by id.
    spans = rows.annotate(
        first_day=_DayNumber(TruncDate("planned_start", tzinfo=zone), since=grid_start),
        last_day=_DayNumber(
            TruncDate(F("planned_end") - timedelta(microseconds=1), tzinfo=zone),
            since=grid_start,
        ),
    ).values_list("pk", "first_day", "last_day")
    total = 0
    last_index = count - 1
    picked: list[list[int]] = [[] for _day in days]  # the ids each cell shows
    for pk, first_day, last_day in spans:
        total += 1
        for n in range(max(first_day, 0), min(last_day, last_index) + 1):
            if limit is None or len(picked[n]) < limit:
                picked[n].append(pk)
            else:
                days[n].more += 1
    wanted = {pk for ids in picked for pk in ids}
    if wanted:
        entries = {
            entry["pk"]: entry
            for entry in Change.objects.filter(pk__in=list(wanted)).values(*ENTRY_FIELDS)
        }
        for cell, ids in zip(days, picked, strict=True):
            cell.entries = [entries[pk] for pk in ids if pk in entries]
    windows = calendar_windows(starts_at=starts_at, ends_at=ends_at, filters=filters)
    for key in ("blackouts", "maintenance"):
        for window in windows[key]:
            first = max(timezone.localtime(window.starts_at, zone).date(), grid_start)
            last = min(
                (timezone.localtime(window.ends_at, zone) - timedelta(microseconds=1)).date(),
                grid_end - timedelta(days=1),
            )
            for n in range((first - grid_start).days, (last - grid_start).days + 1):
                getattr(days[n], key).append(window)
    return CalendarPage(
        view=view,
        anchor=shown,
        starts_at=starts_at,
        ends_at=ends_at,
        days=days,
        total=total,
        previous=previous,
        following=following,
        windows=windows,
    )
