"""Business calendars and business-time arithmetic: pure Python, no Django.

A :class:`BusinessCalendar` is a time zone, weekly working hours (several intervals a day, in the
zone's local wall-clock time) and holidays (local dates without working time). It answers

- ``add(start, duration)``: the instant when ``duration`` of business time has elapsed after
  ``start`` (a due time); a negative duration counts backwards ("30 minutes before breach");
- ``elapsed(start, end)``: the business time between two instants (negative if ``end < start``);
- ``is_working(at)`` and ``next_opening(at)``.

Every instant accepted must be timezone-aware (any zone); every instant returned is in UTC.

Semantics
---------
The calendar's *working set* is the set of instants at which the wall clock of the calendar's
zone shows a working date and time: the local date is not a holiday and the local time lies in one
of that weekday's half-open intervals ``[start, end)``. Business time between two instants is the
real (UTC) duration of the working set between them. So:

- **Spring forward (non-existent local times)**: the skipped wall-clock times never occur, so the
  part of an interval inside the gap counts nothing. An interval edge inside the gap acts as the
  instant of the change (e.g. Berlin 01:30-02:30 on the last Sunday of March is 30 minutes:
  01:30-02:00 CET; 02:30-03:30 is 30 minutes: 03:00-03:30 CEST; 01:00-04:00 is 2 hours).
- **Fall back (ambiguous local times)**: the repeated wall-clock times occur twice and count
  twice (Berlin 02:00-02:30 on the last Sunday of October is one hour: both passes;
  01:00-04:00 is 4 hours). ``is_working`` is true at both passes.
- 24x7 calendars count real time: a spring-forward day has 23 hours, a fall-back day 25.

For ``add``, with B(t) the business time accumulated up to instant t:

- ``duration > 0``: the *earliest* instant t with B(t) = B(start) + duration. Counting starts at
  the next opening when ``start`` is outside working time; a target that ends exactly at a
  closing time is due at that closing time (Friday 17:00 + 1 h on a 09:00-18:00 desk is Friday
  18:00, not Monday 09:00).
- ``duration < 0``: the mirror image, the *latest* instant t with B(t) = B(start) + duration:
  counting backwards starts at the previous closing and lands on an opening rather than on the
  previous closing (Monday 09:30 - 30 min is Monday 09:00, not Friday 18:00).
- ``duration == 0``: ``start`` itself (in UTC), even outside working time.

Hence ``elapsed(s, add(s, d)) == d`` for every s and d; ``add`` is monotonic in d; and
``add(add(s, a), b) == add(s, a + b)`` when a and b have the same sign.

How it is fast
--------------
Per weekday the intervals are tables in local microseconds (starts, ends, cumulative working
time); per week the total. The business time of a span of whole days is
``weeks * week_total + weekday prefix - holidays (bisect over a sorted prefix sum) + DST
corrections (likewise)``; ``add`` skips whole weeks with that formula, walks the last few days,
then bisects inside the day. Days whose wall clock is disturbed by a UTC-offset change (found
by reading the zone's offset at every local noon, cached per zone and year) are computed exactly
in UTC and their difference from the weekly table is kept as a correction. Nothing loops over
minutes.

Limits: a zone with two offset changes less than a day apart would be mis-read (no such rule
exists in the tz database for modern dates); dates must stay within years 2..9998.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "FIVE_BY_NINE",
    "BusinessCalendar",
    "CalendarError",
    "WorkingInterval",
]

US = 1_000_000  # microseconds per second: every quantity inside is an int of microseconds
DAY = 86_400 * US
_HOUR = 3_600 * US
_NOON = 12 * _HOUR
_EPOCH_SECONDS = date(1970, 1, 1).toordinal() * 86_400  # the POSIX epoch in absolute seconds
_EMPTY_LIMIT_DAYS = 3_653  # ten years without working time: give up
_MIN_YEAR, _MAX_YEAR = 2, 9_998
_UTC_BASE = datetime(1, 1, 1, tzinfo=UTC)  # ordinal 1, i.e. absolute microsecond DAY
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarError(ValueError):
    """A calendar that cannot be built, or arithmetic it cannot do; the message is for humans."""


class WorkingInterval(NamedTuple):
    """One working interval of a weekday in local wall-clock time; ``end == time(0)`` is 24:00."""

    start: time
    end: time

    @property
    def start_us(self) -> int:
        return _time_us(self.start)

    @property
    def end_us(self) -> int:
        return DAY if self.end == time(0) else _time_us(self.end)

    def __str__(self) -> str:
        end = "24:00" if self.end == time(0) else _fmt(self.end)
        return f"{_fmt(self.start)}-{end}"


# The seed's service desk hours: Monday to Friday, 09:00-18:00.
FIVE_BY_NINE: dict[int, list[tuple[time, time]]] = {d: [(time(9), time(18))] for d in range(5)}
_ALWAYS_OPEN_WEEK = {d: [(time(0), time(0))] for d in range(7)}


# --- small helpers ------------------------------------------------------------------------------


def _fmt(value: time) -> str:
    text = value.strftime("%H:%M")
    if value.second or value.microsecond:
        text = value.isoformat()
    return text


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * US + value.microsecond


def _td_us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * US + value.microseconds


def _abs_us(naive: datetime) -> int:
    """Microseconds since 0001-01-01 minus one day, from the datetime's own fields."""
    return (
        naive.toordinal() * DAY
        + ((naive.hour * 60 + naive.minute) * 60 + naive.second) * US
        + naive.microsecond
    )


def _from_abs(u: int) -> datetime:
    return _UTC_BASE + timedelta(microseconds=u - DAY)


def _offset_at(zone: ZoneInfo, u: int) -> int:
    """The zone's UTC offset (microseconds) at the UTC instant ``u`` (offsets change on whole
    seconds, so the second is enough)."""
    try:
        local = datetime.fromtimestamp(u // US - _EPOCH_SECONDS, zone)
    except (OverflowError, OSError, ValueError):
        local = _from_abs(u).astimezone(zone)
    return _td_us(local.utcoffset())


def _year_of(ordinal: int) -> int:
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal())).year


# --- what the time zone does, cached per zone and year ------------------------------------------

_TRANSITIONS: dict[tuple[ZoneInfo, int], tuple[tuple[int, int, int], ...]] = {}
_IRREGULAR: dict[tuple[ZoneInfo, int], frozenset[int]] = {}


def _zone_transitions(zone: ZoneInfo, year: int) -> tuple[tuple[int, int, int], ...]:
    """UTC-offset changes ``(instant, offset before, offset after)`` in absolute microseconds,
    for instants T with Jan 1 00:00 UTC of ``year`` < T <= Jan 1 00:00 UTC of ``year + 1``.

    The wall-clock offset is read at each local noon; where two noons differ, the days around
    are read hour by hour in UTC and each change is found to the second by bisection."""
    key = (zone, year)
    found = _TRANSITIONS.get(key)
    if found is None:
        result = []
        if _MIN_YEAR <= year <= _MAX_YEAR:
            window_lo = date(year, 1, 1).toordinal() * DAY
            window_hi = date(year + 1, 1, 1).toordinal() * DAY
            first = window_lo // DAY - 2
            previous = _td_us(zone.utcoffset(datetime.fromordinal(first).replace(hour=12)))
            changes: set[tuple[int, int, int]] = set()
            for n in range(first + 1, window_hi // DAY + 2):
                offset = _td_us(zone.utcoffset(datetime.fromordinal(n).replace(hour=12)))
                if offset != previous:  # a change near day n: find each one, hour by hour
                    t = (n - 3) * DAY
                    before = _offset_at(zone, t)
                    while t < (n + 2) * DAY:
                        after = _offset_at(zone, t + _HOUR)
                        if after != before:
                            low, high = t // US, (t + _HOUR) // US  # whole seconds
                            while high - low > 1:
                                mid = (low + high) // 2
                                if _offset_at(zone, mid * US) == before:
                                    low = mid
                                else:
                                    high = mid
                            changes.add((high * US, before, _offset_at(zone, high * US)))
                            before = after
                        t += _HOUR
                    previous = offset
            result = sorted(c for c in changes if window_lo < c[0] <= window_hi)
        found = _TRANSITIONS[key] = tuple(result)
    return found


def _transitions_between(zone: ZoneInfo, a: int, b: int) -> list[tuple[int, int, int]]:
    """Offset changes strictly between the UTC instants ``a`` and ``b``."""
    result = []
    for year in range(_year_of(a // DAY), _year_of(b // DAY) + 1):
        result.extend(t for t in _zone_transitions(zone, year) if a < t[0] < b)
    return result


def _zone_irregular(zone: ZoneInfo, year: int) -> frozenset[int]:
    """Local dates (ordinals) of ``year`` near an offset change, whose wall clock may not run
    exactly 24 hours from their midnight: a day before and after each side is included."""
    key = (zone, year)
    found = _IRREGULAR.get(key)
    if found is None:
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        days: set[int] = set()
        for y in (year - 1, year, year + 1):
            for instant, before, after in _zone_transitions(zone, y):
                for wall in (instant - 1 + before, instant + after):
                    d = wall // DAY
                    days.update((d - 1, d, d + 1))
        found = _IRREGULAR[key] = frozenset(d for d in days if first <= d <= last)
    return found


# --- the calendar -------------------------------------------------------------------------------


class _Day(NamedTuple):
    """One local day computed exactly in UTC (absolute microseconds)."""

    start: int  # the first instant of the day: its local midnight (or the change ending a gap)
    end: int  # the next day's start
    starts: tuple[int, ...]  # working pieces, merged and sorted
    ends: tuple[int, ...]
    cum: tuple[int, ...]  # working time before each piece (len + 1 entries)
    total: int


class _State(NamedTuple):
    """The lazily loaded part of a calendar: replaced as a whole, never mutated in place."""

    lo: int  # loaded local dates: lo <= ordinal < hi
    hi: int
    irregular: frozenset[int]
    corr_ords: tuple[int, ...]  # days whose real working time differs from the weekly table
    corr_cum: tuple[int, ...]  # prefix sums of those differences (len + 1 entries)
    walls: tuple[int, ...]  # local wall time just after each offset change of the range
    offsets: tuple[int, ...]  # the offset before the first change, then after each change


_EMPTY_STATE = _State(0, 0, frozenset(), (), (0,), (), (0,))


class BusinessCalendar:
    """Working hours in a time zone, with holidays; see the module documentation."""

    def __init__(
        self,
        time_zone: str | ZoneInfo,
        week: Mapping[int, Iterable],
        holidays: Iterable[date] = frozenset(),
    ):
        self.zone = _zone(time_zone)
        self.time_zone: str = self.zone.key
        self.week: dict[int, tuple[WorkingInterval, ...]] = _normalise_week(week)
        self.holidays: frozenset[date] = _check_holidays(holidays)

        local = [[(iv.start_us, iv.end_us) for iv in self.week.get(d, ())] for d in range(7)]
        totals = [sum(e - s for s, e in intervals) for intervals in local]
        if not sum(totals):
            raise CalendarError(
                "The calendar has no working time: give at least one working interval."
            )
        # Tables are indexed by ordinal % 7 (0 is a Sunday), so no weekday arithmetic is needed.
        by_mod = [local[(k + 6) % 7] for k in range(7)]
        self._local = tuple(tuple(x) for x in by_mod)
        self._starts = tuple(tuple(s for s, _ in x) for x in by_mod)
        self._ends = tuple(tuple(e for _, e in x) for x in by_mod)
        self._lens = tuple(tuple(e - s for s, e in x) for x in by_mod)
        self._cum = tuple(_prefix(e - s for s, e in x) for x in by_mod)
        self._cum_end = tuple(c[1:] for c in self._cum)
        self._tot = tuple(c[-1] for c in self._cum)
        self._prefix = _prefix(self._tot)  # working time of the week before day k
        self._week_us = self._prefix[-1]
        self._hol = frozenset(h.toordinal() for h in self.holidays)
        self._hol_ords = tuple(sorted(self._hol))
        self._hol_cum = _prefix(self._tot[n % 7] for n in self._hol_ords)
        self._days: dict[int, _Day] = {}
        self._state = _EMPTY_STATE

    # --- constructors -----------------------------------------------------------------------

    @classmethod
    def always_open(
        cls, time_zone: str | ZoneInfo = "UTC", holidays: Iterable[date] = frozenset()
    ) -> BusinessCalendar:
        """24x7: every instant is working time (except on holidays, if any are given)."""
        return cls(time_zone, _ALWAYS_OPEN_WEEK, holidays)

    @classmethod
    def from_country(
        cls,
        time_zone: str | ZoneInfo,
        week: Mapping[int, Iterable],
        country: str = "IR",
        years: Iterable[int] = range(2024, 2031),
        extra_holidays: Iterable[date] = (),
        subdivision: str | None = None,
    ) -> BusinessCalendar:
        """A calendar whose holidays are the country's public holidays over ``years`` (from the
        ``holidays`` package) plus ``extra_holidays``."""
        import holidays as holidays_package

        supported = holidays_package.list_supported_countries()
        if country not in supported or (subdivision and subdivision not in supported[country]):
            raise CalendarError(
                f"No public holidays are known for country {country!r}"
                + (f" and subdivision {subdivision!r}" if subdivision else "")
                + "."
            )
        public = holidays_package.country_holidays(country, subdiv=subdivision, years=list(years))
        extra = _check_holidays(extra_holidays)
        return cls(time_zone, week, frozenset(public.keys()) | extra)

    # --- value semantics --------------------------------------------------------------------

    def _key(self):
        return (self.time_zone, tuple(sorted(self.week.items())), self.holidays)

    def __eq__(self, other):
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self) -> str:
        days = ", ".join(
            f"{WEEKDAY_NAMES[d][:3]} {' '.join(str(iv) for iv in ivs)}"
            for d, ivs in sorted(self.week.items())
        )
        return f"<BusinessCalendar {self.time_zone} [{days}] {len(self.holidays)} holiday(s)>"

    @property
    def weekly_working_time(self) -> timedelta:
        """Working time of a week without holidays, in local wall-clock terms."""
        return timedelta(microseconds=self._week_us)

    # --- public arithmetic ------------------------------------------------------------------

    def is_working(self, at: datetime) -> bool:
        """Whether the wall clock of the calendar's zone shows working time at ``at``."""
        loc = _aware(at, "at").astimezone(self.zone)
        n = loc.toordinal()
        if n in self._hol:
            return False
        k = n % 7
        x = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * US + loc.microsecond
        i = bisect_right(self._starts[k], x) - 1
        return i >= 0 and x < self._ends[k][i]

    def next_opening(self, at: datetime) -> datetime:
        """``at`` (in UTC) if it is working time, else the next instant working time starts."""
        n, b = self._locate(_aware(at, "at"))
        m, v = self._forward(n, b, strict=True)
        return self._last(m, v)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) when ``duration`` of business time has elapsed after ``start``;
        backwards for a negative duration. See the module documentation for the exact rule."""
        _aware(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
        d = _td_us(duration)
        if d == 0:
            return start.astimezone(UTC)
        n, b = self._locate(start)
        if d > 0:
            m, rem = self._forward(n, b + d, strict=False)
            return self._first(m, rem)
        need = -d
        if need <= b:
            return self._last(n, b - need)
        m, v = self._backward(n, need - b)
        return self._last(m, v)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end``; negative if ``end`` is before ``start``."""
        n1, b1 = self._locate(_aware(start, "start"))
        n2, b2 = self._locate(_aware(end, "end"))
        days = self._span(n1, n2) if n1 <= n2 else -self._span(n2, n1)
        return timedelta(microseconds=days + b2 - b1)

    # --- the working set as data, for array arithmetic over many instants --------------------

    def working_spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The working time from ``start`` to ``end`` as half-open UTC intervals, sorted and
        disjoint, cut to ``[start, end)``: ``elapsed(a, b)`` for ``start <= a <= b <= end`` is
        the length of these spans between a and b, and ``is_working(t)`` is whether t lies in
        one. A caller with many instants (the breach prediction's features) reads the spans
        once and answers them all with a sorted search. Built from the same exact day pieces
        as the arithmetic (DST days included), one day at a time: a year is a few hundred
        spans."""
        a = _abs_us(_aware(start, "start").astimezone(UTC))
        b = _abs_us(_aware(end, "end").astimezone(UTC))
        if b <= a:
            return []
        n1 = self._day_holding(a, start.astimezone(self.zone).toordinal())
        n2 = self._day_holding(b - 1, end.astimezone(self.zone).toordinal())
        spans: list[tuple[datetime, datetime]] = []
        for n in range(n1, n2 + 1):
            day = self._day(n)
            for s, e in zip(day.starts, day.ends, strict=True):
                low, high = max(s, a), min(e, b)
                if low < high:
                    spans.append((_from_abs(low), _from_abs(high)))
        return spans

    def utc_offsets(self, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
        """The zone's UTC offset at ``start`` and after each change until ``end``, as
        (from this instant on, UTC, offset) pairs: local wall time for many instants at once."""
        a = _abs_us(_aware(start, "start").astimezone(UTC))
        b = _abs_us(_aware(end, "end").astimezone(UTC))
        offsets = [(_from_abs(a), timedelta(microseconds=_offset_at(self.zone, a)))]
        for instant, _before, after in _transitions_between(self.zone, a, b):
            offsets.append((_from_abs(instant), timedelta(microseconds=after)))
        return offsets

    # --- days and spans ---------------------------------------------------------------------

    def _ensure(self, n1: int, n2: int) -> _State:
        """Load the zone's irregular days and their corrections for whole years around
        [n1, n2). The new state replaces the old one in a single assignment (thread-safe:
        a reader sees either state, both correct for their range)."""
        state = self._state
        if state.lo <= n1 and n2 <= state.hi and state.hi > state.lo:
            return state
        y1, y2 = _year_of(n1 - 1), _year_of(n2 + 1)
        if y1 < _MIN_YEAR or y2 > _MAX_YEAR:
            raise CalendarError(
                f"Business-time arithmetic is limited to the years {_MIN_YEAR} to {_MAX_YEAR}."
            )
        if state.hi > state.lo:
            y1 = min(y1, _year_of(state.lo))
            y2 = max(y2, _year_of(state.hi - 1))
        lo, hi = date(y1, 1, 1).toordinal(), date(y2 + 1, 1, 1).toordinal()
        irregular = set(state.irregular)
        corrections = dict(zip(state.corr_ords, _diffs(state.corr_cum), strict=True))
        for year in range(y1, y2 + 1):
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            if state.lo <= first < state.hi:
                continue  # loaded already
            irregular.update(_zone_irregular(self.zone, year))
            # Only the days from the one holding the instant before an offset change to the one
            # holding the change (and any day skipped between them, as Samoa skipped
            # 2011-12-30) can differ from the weekly table.
            for y in (year - 1, year, year + 1):
                for instant, before, after in _zone_transitions(self.zone, y):
                    low = self._day_holding(instant - 1, (instant - 1 + before) // DAY)
                    high = self._day_holding(instant, (instant + after) // DAY)
                    for n in range(max(low, first), min(high, last) + 1):
                        expected = 0 if n in self._hol else self._tot[n % 7]
                        correction = self._day(n).total - expected
                        if correction:
                            corrections[n] = correction
        ords = tuple(sorted(corrections))
        changes = [t for year in range(y1, y2 + 1) for t in _zone_transitions(self.zone, year)]
        state = _State(
            lo,
            hi,
            frozenset(irregular),
            ords,
            _prefix(corrections[n] for n in ords),
            tuple(instant + after for instant, _, after in changes),
            (_offset_at(self.zone, date(y1, 1, 1).toordinal() * DAY), *(c[2] for c in changes)),
        )
        self._state = state
        return state

    def _day(self, n: int) -> _Day:
        """Local day ``n`` computed exactly in UTC, whatever its offset changes (cached)."""
        day = self._days.get(n)
        if day is not None:
            return day
        zone = self.zone
        start, end = self._midnight(n), self._midnight(n + 1)
        cuts = [start, *(t[0] for t in _transitions_between(zone, start, end)), end]
        pieces = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            if a >= b:
                continue
            offset = _offset_at(zone, a)  # constant on [a, b)
            wall_a, wall_b = a + offset, b + offset
            for d in range(wall_a // DAY, (wall_b - 1) // DAY + 1):
                if d in self._hol:
                    continue
                base = d * DAY
                for s, e in self._local[d % 7]:
                    low, high = max(base + s, wall_a), min(base + e, wall_b)
                    if low < high:
                        pieces.append((low - offset, high - offset))
        pieces.sort()
        merged: list[list[int]] = []
        for s, e in pieces:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        cum = _prefix(e - s for s, e in merged)
        day = _Day(
            start,
            end,
            tuple(s for s, _ in merged),
            tuple(e for _, e in merged),
            cum,
            cum[-1],
        )
        self._days[n] = day
        return day

    def _day_holding(self, u: int, n: int) -> int:
        """The local day whose span [midnight, next midnight) holds the UTC instant ``u``,
        starting the search from the guess ``n``."""
        while u < self._midnight(n):
            n -= 1
        while u >= self._midnight(n + 1):
            n += 1
        return n

    def _midnight(self, n: int) -> int:
        """The first instant (UTC, absolute microseconds) whose wall clock reads at least
        00:00 of local date ``n``: its midnight, or the offset change that skipped it."""
        wall = n * DAY
        naive = datetime.fromordinal(n)
        u = wall - _td_us(naive.replace(tzinfo=self.zone).utcoffset())  # fold=0: the first
        if _offset_at(self.zone, u) + u == wall:
            return u
        for instant, before, after in _transitions_between(self.zone, u - 2 * DAY, u + 2 * DAY):
            if instant + before <= wall < instant + after:
                return instant
        raise CalendarError(f"Cannot place midnight of {naive:%Y-%m-%d} in {self.time_zone}.")

    def _span(self, n1: int, n2: int) -> int:
        """Business microseconds of the local days n1 <= day < n2."""
        state = self._state
        if n1 < state.lo or n2 > state.hi:
            state = self._ensure(n1, n2)
        q1, r1 = divmod(n1, 7)
        q2, r2 = divmod(n2, 7)
        total = (q2 - q1) * self._week_us + self._prefix[r2] - self._prefix[r1]
        ords = self._hol_ords
        if ords:
            cum = self._hol_cum
            total -= cum[bisect_left(ords, n2)] - cum[bisect_left(ords, n1)]
        ords = state.corr_ords
        if ords:
            cum = state.corr_cum
            total += cum[bisect_left(ords, n2)] - cum[bisect_left(ords, n1)]
        return total

    def _locate(self, t: datetime) -> tuple[int, int]:
        """(local day, business microseconds of that day before ``t``)."""
        loc = t.astimezone(self.zone)
        n = loc.toordinal()
        state = self._state
        if not state.lo <= n < state.hi:
            state = self._ensure(n - 1, n + 2)
        if n not in state.irregular:
            if n in self._hol:
                return n, 0
            k = n % 7
            x = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * US + loc.microsecond
            starts = self._starts[k]
            i = bisect_right(starts, x) - 1
            if i < 0:
                return n, 0
            return n, self._cum[k][i] + min(x - starts[i], self._lens[k][i])
        u = _abs_us(t.astimezone(UTC))
        day = self._day(n)
        while u < day.start:
            n -= 1
            day = self._day(n)
        while u >= day.end:
            n += 1
            day = self._day(n)
        i = bisect_right(day.starts, u) - 1
        if i < 0:
            return n, 0
        return n, day.cum[i] + min(u - day.starts[i], day.ends[i] - day.starts[i])

    def _first(self, m: int, rem: int) -> datetime:
        """The earliest instant of day ``m`` with ``rem`` (0 < rem <= total) business time
        of the day before it."""
        if m in self._state.irregular:
            day = self._day(m)
            i = bisect_left(day.cum[1:], rem)
            return _from_abs(day.starts[i] + rem - day.cum[i])
        k = m % 7
        i = bisect_left(self._cum_end[k], rem)
        x = self._starts[k][i] + rem - self._cum[k][i]
        return self._local_to_utc(m, x)

    def _last(self, m: int, v: int) -> datetime:
        """The latest instant of day ``m`` with ``v`` (0 <= v < total) business time of the day
        before it: always the start of a piece or inside one."""
        if m in self._state.irregular:
            day = self._day(m)
            i = bisect_right(day.cum[1:], v)
            return _from_abs(day.starts[i] + v - day.cum[i])
        k = m % 7
        i = bisect_right(self._cum_end[k], v)
        x = self._starts[k][i] + v - self._cum[k][i]
        return self._local_to_utc(m, x)

    def _local_to_utc(self, m: int, x: int) -> datetime:
        """Wall time ``x`` of a regular day ``m`` (one UTC offset all day long) in UTC."""
        state = self._state
        wall = m * DAY
        offset = state.offsets[bisect_right(state.walls, wall)]
        return _UTC_BASE + timedelta(microseconds=wall + x - offset - DAY)

    def _forward(self, n: int, r: int, *, strict: bool) -> tuple[int, int]:
        """The first day m >= n whose end has more than ``r`` business time since the start of
        day n (at least ``r`` unless ``strict``); returns (m, r - business time of days n..m-1).
        Whole weeks are skipped with ``_span``; then at most a week is walked day by day; runs
        of empty weeks (holidays) are galloped over."""
        week = self._week_us
        m, rr, empty = n, r, 0
        while True:
            if rr > week:
                k = (rr - 1) // week
                gained = 0
                while k:
                    gained = self._span(m, m + 7 * k)
                    if gained < rr:
                        break
                    k //= 2  # DST corrections can add a little: try fewer weeks
                if k:
                    m += 7 * k
                    rr -= gained
                    empty = 0 if gained else empty + 7 * k
                    self._check_empty(empty, n)
                    continue
            state = self._state
            if not (state.lo <= m and m + 8 <= state.hi):
                state = self._ensure(m, m + 8)
            irregular, hol, tot = state.irregular, self._hol, self._tot
            for _ in range(7):
                total = 0 if m in hol else tot[m % 7]
                if m in irregular:  # near an offset change: the exact UTC figure
                    total = self._day(m).total
                if total > rr or (total == rr and not strict and total):
                    return m, rr
                rr -= total
                m += 1
                empty = 0 if total else empty + 1
            if empty >= 7:
                k = 1
                while not self._span(m, m + 7 * k):
                    m += 7 * k
                    empty += 7 * k
                    self._check_empty(empty, n)
                    k *= 2

    def _backward(self, n: int, need: int) -> tuple[int, int]:
        """The last day m < n such that days m..n-1 hold at least ``need`` (> 0) business time;
        returns (m, the business time of day m before the instant sought)."""
        week = self._week_us
        e, rr, empty = n, need, 0  # e: exclusive end of the days already counted
        while True:
            if rr > week:
                k = (rr - 1) // week
                gained = 0
                while k:
                    gained = self._span(e - 7 * k, e)
                    if gained < rr:
                        break
                    k //= 2
                if k:
                    e -= 7 * k
                    rr -= gained
                    empty = 0 if gained else empty + 7 * k
                    self._check_empty(empty, n)
                    continue
            state = self._state
            if not (state.lo <= e - 8 and e <= state.hi):
                state = self._ensure(e - 8, e)
            irregular, hol, tot = state.irregular, self._hol, self._tot
            for _ in range(7):
                m = e - 1
                total = 0 if m in hol else tot[m % 7]
                if m in irregular:  # near an offset change: the exact UTC figure
                    total = self._day(m).total
                if total >= rr:
                    return m, total - rr
                rr -= total
                e = m
                empty = 0 if total else empty + 1
            if empty >= 7:
                k = 1
                while not self._span(e - 7 * k, e):
                    e -= 7 * k
                    empty += 7 * k
                    self._check_empty(empty, n)
                    k *= 2

    def _check_empty(self, empty_days: int, n: int) -> None:
        if empty_days > _EMPTY_LIMIT_DAYS:
            raise CalendarError(
                f"No working time in the ten years from {date.fromordinal(n)} in the calendar "
                f"{self!r}: every working day is a holiday."
            )


# --- validation ---------------------------------------------------------------------------------


def _prefix(values: Iterable[int]) -> tuple[int, ...]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return tuple(out)


def _diffs(cum: tuple[int, ...]) -> list[int]:
    return [b - a for a, b in zip(cum, cum[1:], strict=False)]


def _aware(value, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} must be timezone-aware, got the naive {value.isoformat()}")
    return value


def _zone(time_zone) -> ZoneInfo:
    if isinstance(time_zone, ZoneInfo):
        if time_zone.key is None:
            raise CalendarError("The time zone must be a named (IANA) zone such as 'Asia/Tehran'.")
        return time_zone
    if not isinstance(time_zone, str) or not time_zone:
        raise CalendarError(
            f"The time zone must be an IANA name such as 'Asia/Tehran', got {time_zone!r}."
        )
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CalendarError(f"Unknown time zone {time_zone!r}.") from exc


def _parse_time(value, day: str, *, end: bool) -> time:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise CalendarError(f"{day}: working hours are local times, without a time zone.")
        return value
    if isinstance(value, str):
        text = value.strip()
        if end and text in ("24:00", "24:00:00"):
            return time(0)
        try:
            return time.fromisoformat(text)
        except ValueError:
            pass
    raise CalendarError(f"{day}: {value!r} is not a time of day such as 09:00.")


def _normalise_week(week) -> dict[int, tuple[WorkingInterval, ...]]:
    if not isinstance(week, Mapping):
        raise CalendarError(
            "The working week must map weekdays (0 = Monday .. 6 = Sunday) to intervals."
        )
    result: dict[int, tuple[WorkingInterval, ...]] = {}
    for weekday, intervals in week.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise CalendarError(
                f"Weekday {weekday!r} is not a number from 0 (Monday) to 6 (Sunday)."
            )
        day = WEEKDAY_NAMES[weekday]
        parsed = []
        for interval in intervals or ():
            try:
                start, end = interval
            except (TypeError, ValueError):
                raise CalendarError(
                    f"{day}: each working interval is a (start, end) pair, got {interval!r}."
                ) from None
            item = WorkingInterval(
                _parse_time(start, day, end=False), _parse_time(end, day, end=True)
            )
            if item.start_us >= item.end_us:
                raise CalendarError(
                    f"{day}: the interval {_fmt(item.start)}-{_fmt(item.end)} does not end after "
                    "it starts (00:00 as the end means midnight at the end of the day)."
                )
            parsed.append(item)
        parsed.sort(key=lambda iv: iv.start_us)
        merged: list[WorkingInterval] = []
        for item in parsed:
            if merged and item.start_us < merged[-1].end_us:
                raise CalendarError(f"{day}: the intervals {merged[-1]} and {item} overlap.")
            if merged and item.start_us == merged[-1].end_us:
                merged[-1] = WorkingInterval(merged[-1].start, item.end)  # touching: one
            else:
                merged.append(item)
        if merged:
            result[weekday] = tuple(merged)
    return result


def _check_holidays(holidays) -> frozenset[date]:
    if isinstance(holidays, (str, bytes, date)):
        raise CalendarError("Holidays must be a collection of dates.")
    try:
        items = frozenset(holidays)
    except TypeError:
        raise CalendarError("Holidays must be a collection of dates.") from None
    for item in items:
        if isinstance(item, datetime):
            raise CalendarError(
                f"Holiday {item.isoformat()} is a datetime: give the local date "
                f"({item.date().isoformat()})."
            )
        if not isinstance(item, date):
            raise CalendarError(f"Holiday {item!r} is not a date.")
    return items
