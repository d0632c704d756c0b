"""The features of an SLA timer at a moment, from what was known at that moment.

A `History` holds the timers (and their records) as numpy arrays, loaded in a few queries; the
`rows(history, index, moments)` function gives one feature row per (timer, moment). Training
uses closed timers at random moments before their due time and before they stopped; scoring
uses the open timers at now. Nothing read at a moment comes from after it: the backlog and the
assignee's load count records opened before and not yet done at the moment, the reassignments
count the group changes audited before it, the business time left and the pauses are the
timer's clock at the moment. The record's own fields (priority, service, category, CI,
organisation, group and assignee) are read as they are now: a record whose priority changed
meanwhile is seen with its last one (docs/prediction.md, "What the model sees").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk import registry
from servicedesk.models import AuditEvent
from sla.models import Calendar, Metric, TimerState
from sla.services import business_calendar

# (name, label, categorical?)
FEATURES: list[tuple[str, object, bool]] = [
    ("metric", _("Target"), True),
    ("priority", _("Priority"), False),
    ("service", _("Service"), True),
    ("category", _("Category"), True),
    ("configuration_item", _("Has a configuration item"), False),
    ("support_group", _("Support group"), True),
    ("organisation", _("Requester's organisation"), True),
    ("group_backlog", _("The group's open backlog"), False),
    ("assignee_load", _("The assignee's open records"), False),
    ("hour", _("Hour of day on the calendar"), False),
    ("weekday", _("Day of the week on the calendar"), False),
    ("working_now", _("Within working hours"), False),
    ("business_left", _("Business time left"), False),
    ("share_spent", _("Share of the target spent"), False),
    ("reassignments", _("Reassignments so far"), False),
    ("paused", _("Time on hold so far"), False),
]
NAMES = [name for name, _label, _cat in FEATURES]
CATEGORICAL = [cat for _name, _label, cat in FEATURES]
COLUMN = {name: i for i, name in enumerate(NAMES)}
METRICS = {str(metric): code for code, metric in enumerate(Metric)}
INF = float("inf")
_KEY = 10**10  # seconds since 1970 stay below it until the year 2286
US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NEVER = np.iinfo(np.int64).max


def _epoch(value: datetime | None) -> float:
    return value.timestamp() if value is not None else INF


@dataclass
class History:
    """Timers and their records, column by column. `record` maps each timer to its record's row
    in the record arrays; `rec_*` arrays hold one entry per record; the pauses of all the timers
    are flat arrays, each timer's `pause_count` of them from `pause_first` on."""

    timer_id: np.ndarray
    content_type: np.ndarray
    object_id: np.ndarray
    metric: np.ndarray
    target: np.ndarray
    started: np.ndarray
    due: np.ndarray
    stopped: np.ndarray
    breached: np.ndarray  # the moment it breached (inf: never)
    state: list[str]
    calendar: np.ndarray  # the target's calendar id
    started_us: np.ndarray  # `started` in whole microseconds
    pause_first: np.ndarray  # where each timer's pauses begin in the pause arrays
    pause_count: np.ndarray
    pause_begin: np.ndarray  # microseconds since 1970 (_NEVER: not known)
    pause_stop: np.ndarray  # (_NEVER: still on hold)
    record: np.ndarray
    rec_fields: dict[str, np.ndarray]
    rec_created: np.ndarray
    rec_done: np.ndarray
    group_changes: np.ndarray  # record row * _KEY + moment, sorted
    calendars: dict[int, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.timer_id)


RECORD_FIELDS = ("priority", "service", "category", "support_group", "assignee", "organisation")


def load(timers) -> History:
    """The history of these timers (a queryset of SlaTimer), with their records and the records'
    group changes: one query for the timers, one per record type, one for the audit rows."""
    rows = list(
        timers.order_by("pk").values_list(
            "pk", "content_type_id", "object_id", "metric", "target_seconds", "started_at",
            "due_at", "stopped_at", "breached_at", "state", "target__calendar_id", "pauses",
        )
    )  # fmt: skip
    record_keys = sorted({(r[1], r[2]) for r in rows})
    record_row = {key: i for i, key in enumerate(record_keys)}
    n = len(record_keys)
    rec_fields = {name: np.full(n, np.nan) for name in (*RECORD_FIELDS, "configuration_item")}
    by_type: dict[int, list[int]] = {}
    for content_type_id, object_id in record_keys:
        by_type.setdefault(content_type_id, []).append(object_id)
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        record_type = registry.for_model(model) if model is not None else None
        if model is None:
            continue
        names = {f.name for f in model._meta.get_fields()}
        ci_field = record_type.ci_field if record_type is not None else None
        wanted = [name for name in RECORD_FIELDS if name in names]
        columns = ["pk", *[f"{name}_id" if name != "priority" else name for name in wanted]]
        if ci_field:
            columns.append(f"{ci_field}_id")
        for start in range(0, len(ids), 50_000):
            chunk = ids[start : start + 50_000]
            for values in model._default_manager.filter(pk__in=chunk).values_list(*columns):
                i = record_row[(content_type_id, values[0])]
                for name, value in zip(wanted, values[1 : 1 + len(wanted)], strict=True):
                    if value is not None:
                        rec_fields[name][i] = value
                if ci_field:
                    rec_fields["configuration_item"][i] = 1.0 if values[-1] is not None else 0.0
    record = np.array([record_row[(r[1], r[2])] for r in rows], dtype=np.int64)
    started = np.array([_epoch(r[5]) for r in rows])
    stopped = np.array([_epoch(r[7]) for r in rows])
    rec_created = np.full(n, INF)
    rec_done = np.full(n, -INF)
    np.minimum.at(rec_created, record, started)
    np.maximum.at(rec_done, record, stopped)
    group_changes = _group_changes(by_type, record_row)
    calendar_ids = {r[10] for r in rows}
    pause_count, pause_begin, pause_stop = _pauses([r[11] for r in rows])
    return History(
        timer_id=np.array([r[0] for r in rows], dtype=np.int64),
        content_type=np.array([r[1] for r in rows], dtype=np.int64),
        object_id=np.array([r[2] for r in rows], dtype=np.int64),
        metric=np.array([METRICS.get(r[3], -1) for r in rows], dtype=np.float64),
        target=np.array([r[4] for r in rows], dtype=np.float64),
        started=started,
        due=np.array([_epoch(r[6]) for r in rows]),
        stopped=stopped,
        breached=np.array([_epoch(r[8]) for r in rows]),
        state=[r[9] for r in rows],
        calendar=np.array([r[10] for r in rows], dtype=np.int64),
        started_us=np.array([_us(r[5]) for r in rows], dtype=np.int64),
        pause_first=np.cumsum(pause_count) - pause_count,
        pause_count=pause_count,
        pause_begin=pause_begin,
        pause_stop=pause_stop,
        record=record,
        rec_fields=rec_fields,
        rec_created=rec_created,
        rec_done=rec_done,
        group_changes=group_changes,
        calendars={
            c.pk: business_calendar(c)
            for c in Calendar.objects.filter(pk__in=calendar_ids).prefetch_related(
                "hours", "holidays"
            )
        },
    )


def _pauses(pauses: list[list | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each timer's number of pauses, and every pause's begin and end, flat, in timer order."""
    count = np.array([len(p or ()) for p in pauses], dtype=np.int64)
    begins, stops = [], []
    for given in pauses:
        for begin, stop in given or ():
            begins.append(_us(datetime.fromisoformat(begin)) if begin else _NEVER)
            stops.append(_us(datetime.fromisoformat(stop)) if stop else _NEVER)
    return count, np.array(begins, dtype=np.int64), np.array(stops, dtype=np.int64)


def _group_changes(by_type: dict[int, list[int]], record_row: dict) -> np.ndarray:
    """Every audited change of a record's support group, as sortable keys (row, moment)."""
    keys = []
    for content_type_id, ids in by_type.items():
        for start in range(0, len(ids), 20_000):
            events = AuditEvent.objects.filter(
                Q(content_type_id=content_type_id)
                & Q(object_id__in=ids[start : start + 20_000])
                & Q(field="support_group")
            ).values_list("object_id", "created_at")
            for object_id, created_at in events:
                row = record_row[(content_type_id, object_id)]
                keys.append(row * _KEY + int(created_at.timestamp()))
    return np.sort(np.array(keys, dtype=np.int64))


def _open_counts(codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, at: np.ndarray, who):
    """How many records of each row's `who` (a group, an assignee) were open at its moment:
    opened at or before it and not done by then. Sorted keys and two binary searches each."""
    valid = ~np.isnan(codes)
    c = np.where(valid, codes, -1).astype(np.int64) + 1
    start_keys = np.sort(c * _KEY + np.minimum(starts, _KEY - 1).astype(np.int64))
    end_keys = np.sort(c * _KEY + np.minimum(ends, _KEY - 1).astype(np.int64))
    w = np.where(np.isnan(who), -1, who).astype(np.int64) + 1
    t = at.astype(np.int64)
    opened = np.searchsorted(start_keys, w * _KEY + t, "right") - np.searchsorted(
        start_keys, w * _KEY
    )
    done = np.searchsorted(end_keys, w * _KEY + t, "right") - np.searchsorted(end_keys, w * _KEY)
    counts = (opened - done).astype(np.float64)
    return np.where(np.isnan(who), np.nan, counts)


def _us(value: datetime) -> int:
    """Microseconds since 1970, exactly."""
    return (value - _EPOCH) // _MICROSECOND


def _moment_us(seconds: np.ndarray) -> np.ndarray:
    """Seconds since 1970 (floats) as whole microseconds, as `datetime.fromtimestamp` reads them."""
    return np.rint(np.asarray(seconds, dtype=np.float64) * US).astype(np.int64)


class _Clock:
    """One calendar over a stretch of time as arrays of microseconds since 1970: its working
    spans (`BusinessCalendar.working_spans`, a zero-length one first so every instant of the
    stretch has a span at or before it) with the business time before each, and its UTC offsets.
    Business time, "working now" and the local wall clock of any number of instants in the
    stretch are then a sorted search each, with the calendar's own exact arithmetic."""

    def __init__(self, calendar, low: int, high: int):
        start, end = _EPOCH + timedelta(microseconds=low), _EPOCH + timedelta(microseconds=high)
        spans = calendar.working_spans(start, end)
        self.starts = np.array([low, *(_us(a) for a, _b in spans)], dtype=np.int64)
        self.ends = np.array([low, *(_us(b) for _a, b in spans)], dtype=np.int64)
        self.before = np.concatenate([[0], np.cumsum(self.ends - self.starts)[:-1]])
        offsets = calendar.utc_offsets(start, end)
        self.offset_from = np.array([_us(at) for at, _offset in offsets], dtype=np.int64)
        self.offset_from[0] = np.iinfo(np.int64).min
        self.offsets = np.array([offset // _MICROSECOND for _at, offset in offsets], dtype=np.int64)

    def _span(self, t: np.ndarray) -> np.ndarray:
        return np.maximum(np.searchsorted(self.starts, t, "right") - 1, 0)

    def business(self, t: np.ndarray) -> np.ndarray:
        """Business microseconds from the start of the stretch to each instant."""
        i = self._span(t)
        return self.before[i] + np.clip(t - self.starts[i], 0, self.ends[i] - self.starts[i])

    def working(self, t: np.ndarray) -> np.ndarray:
        i = self._span(t)
        return (self.starts[i] <= t) & (t < self.ends[i])

    def wall(self, t: np.ndarray) -> np.ndarray:
        """The local wall clock of each instant, as microseconds since 1970-01-01 00:00 local."""
        return t + self.offsets[np.searchsorted(self.offset_from, t, "right") - 1]


def rows(history: History, index: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """One feature row (columns in FEATURES' order) per timer `index[i]` at `moments[i]`
    (seconds since 1970), each read as it stood at that moment. Array arithmetic throughout:
    per calendar, the business time of every instant is read from its working spans
    (`_Clock`), the pauses of all the timers at once."""
    index = np.asarray(index, dtype=np.int64)
    n = len(index)
    x = np.full((n, len(FEATURES)), np.nan)
    rec = history.record[index]
    x[:, COLUMN["metric"]] = history.metric[index]
    for name in ("priority", "service", "category", "support_group", "organisation"):
        x[:, COLUMN[name]] = history.rec_fields[name][rec]
    x[:, COLUMN["configuration_item"]] = history.rec_fields["configuration_item"][rec]
    groups = history.rec_fields["support_group"]
    assignees = history.rec_fields["assignee"]
    x[:, COLUMN["group_backlog"]] = _open_counts(
        groups, history.rec_created, history.rec_done, moments, groups[rec]
    )
    x[:, COLUMN["assignee_load"]] = _open_counts(
        assignees, history.rec_created, history.rec_done, moments, assignees[rec]
    )
    keys = history.group_changes
    t = moments.astype(np.int64)
    x[:, COLUMN["reassignments"]] = np.searchsorted(keys, rec * _KEY + t, "right") - (
        np.searchsorted(keys, rec * _KEY)
    )
    if n:
        _clock_features(history, index, _moment_us(moments), x)
    return x


def _clock_features(history: History, index: np.ndarray, at: np.ndarray, x: np.ndarray) -> None:
    """Hour, weekday, working now, business time left, share spent and time on hold of each
    row, on its timer's calendar: spent = business time from the start to the moment, less
    the business time of the pauses begun before the moment (each cut at the moment)."""
    started = history.started_us[index]
    # The pauses of the rows' timers, one entry per (row, pause).
    first, count = history.pause_first[index], history.pause_count[index]
    pause_row = np.repeat(np.arange(len(index)), count)
    pause = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
    begin = history.pause_begin[pause]
    stop = np.minimum(history.pause_stop[pause], at[pause_row])
    counted = begin < at[pause_row]
    calendar = history.calendar[index]
    spent = np.zeros(len(index), dtype=np.int64)
    paused = np.zeros(len(index))
    hour = np.zeros(len(index))
    weekday = np.zeros(len(index))
    working = np.zeros(len(index))
    for code in np.unique(calendar):
        mine = calendar == code
        mine_pauses = counted & mine[pause_row]
        low = min(int(started[mine].min()), int(at[mine].min()))
        if mine_pauses.any():
            low = min(low, int(begin[mine_pauses].min()), int(stop[mine_pauses].min()))
        high = max(int(at[mine].max()), int(started[mine].max())) + 1
        clock = _Clock(history.calendars[int(code)], low, high)
        rows_at = at[mine]
        spent[mine] = np.where(
            rows_at > started[mine], clock.business(rows_at) - clock.business(started[mine]), 0
        )
        on_hold = clock.business(stop[mine_pauses]) - clock.business(begin[mine_pauses])
        paused += np.bincount(pause_row[mine_pauses], weights=on_hold, minlength=len(index))
        wall = clock.wall(rows_at)
        of_day = wall % (86_400 * US)
        hour[mine] = of_day // (3_600 * US) + (of_day // (60 * US) % 60) / 60
        weekday[mine] = (wall // (86_400 * US) + 3) % 7  # 1970-01-01 was a Thursday
        working[mine] = clock.working(rows_at)
    target = history.target[index]
    net = np.maximum(spent / US - paused / US, 0.0)
    x[:, COLUMN["hour"]] = hour
    x[:, COLUMN["weekday"]] = weekday
    x[:, COLUMN["working_now"]] = working
    x[:, COLUMN["business_left"]] = target - net
    x[:, COLUMN["share_spent"]] = np.divide(
        net, target, out=np.zeros(len(index)), where=target != 0
    )
    x[:, COLUMN["paused"]] = paused / US


def open_at(history: History, moment: float) -> np.ndarray:
    """The timers running at `moment` and not yet breached (the queue at that moment)."""
    end = np.minimum(np.minimum(history.stopped, history.due), history.breached)
    return np.nonzero((history.started <= moment) & (moment < end))[0]


def labels(history: History) -> np.ndarray:
    """1 for a timer that breached (or is breached and still running), 0 for one met in time."""
    return np.isfinite(history.breached).astype(np.int64)


def known_outcome(history: History) -> np.ndarray:
    """The timers whose outcome is known: met, breached, or running past their due time."""
    breached = np.isfinite(history.breached)
    done = np.array([s in (TimerState.MET, TimerState.BREACHED) for s in history.state])
    return done | breached
