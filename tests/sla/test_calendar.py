"""sla.calendar: business-time arithmetic (pure Python, no database).

Examples from the seed's 5x9 desk, 24x7, DST days, validation, and hypothesis properties
against a naive oracle that steps minute by minute in UTC and asks the wall clock.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sla.calendar import FIVE_BY_NINE, BusinessCalendar, CalendarError, WorkingInterval

TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)
LUNCH_BREAK = {d: [(time(9), time(12)), (time(13), time(18))] for d in range(5)}


# Expected instants are built in local time and compared in UTC: Python never finds an aware
# datetime in a repeated hour equal to one in another zone (PEP 495), whatever its fold.


def tehran(*args, fold=0) -> datetime:
    return datetime(*args, tzinfo=TEHRAN, fold=fold).astimezone(UTC)


def berlin(*args, fold=0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def desk():
    """The seed's service desk: Monday-Friday 09:00-18:00 in Tehran, no holidays."""
    return BusinessCalendar("Asia/Tehran", FIVE_BY_NINE)


# 2026-05-11 is a Monday; 2026-05-15 a Friday; 2026-05-16/17 the weekend.
MON, TUE, WED, FRI, SAT, SUN = 11, 12, 13, 15, 16, 17
NEXT_MON = 18


# --- the seed's 5x9 desk ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logged", "target", "due"),
    [
        # P1 1 h logged Friday 17:30: 30 minutes on Friday, 30 on Monday.
        (tehran(2026, 5, FRI, 17, 30), H, tehran(2026, 5, NEXT_MON, 9, 30)),
        # P2 8 h logged Monday 10:00: due exactly at Monday's closing time.
        (tehran(2026, 5, MON, 10), 8 * H, tehran(2026, 5, MON, 18)),
        (tehran(2026, 5, MON, 10), 9 * H, tehran(2026, 5, TUE, 10)),
        # P3 24 h from Monday's opening: 9 + 9 + 6.
        (tehran(2026, 5, MON, 9), 24 * H, tehran(2026, 5, WED, 15)),
        # P4 48 h from Monday's opening: a whole week (45 h) and 3 h.
        (tehran(2026, 5, MON, 9), 48 * H, tehran(2026, 5, NEXT_MON, 12)),
        # 500 h: 11 weeks (495 h) and 5 h.
        (tehran(2026, 5, MON, 9), 500 * H, tehran(2026, 5, MON, 14) + timedelta(weeks=11)),
        # Logged on Saturday or Sunday: counting starts Monday 09:00.
        (tehran(2026, 5, SAT, 12), H, tehran(2026, 5, NEXT_MON, 10)),
        (tehran(2026, 5, SUN, 23, 59), 15 * M, tehran(2026, 5, NEXT_MON, 9, 15)),
        # Before opening, after closing.
        (tehran(2026, 5, TUE, 7), H, tehran(2026, 5, TUE, 10)),
        (tehran(2026, 5, TUE, 19), H, tehran(2026, 5, WED, 10)),
        (tehran(2026, 5, TUE, 18), H, tehran(2026, 5, WED, 10)),
        # Within a day, to the microsecond.
        (tehran(2026, 5, TUE, 9, 0, 0, 1), timedelta(seconds=1), tehran(2026, 5, TUE, 9, 0, 1, 1)),
        # A target ending at the closing time is due then, not at the next opening.
        (tehran(2026, 5, FRI, 17), H, tehran(2026, 5, FRI, 18)),
    ],
)
def test_desk_due_times(desk, logged, target, due):
    assert desk.add(logged, target) == due
    assert desk.add(logged, target).tzinfo is UTC
    assert desk.elapsed(logged, due) == target


def test_start_in_any_zone_gives_the_same_instant(desk):
    logged = tehran(2026, 5, FRI, 17, 30)
    assert desk.add(logged.astimezone(TEHRAN), H) == desk.add(logged, H)
    assert desk.add(logged.astimezone(NEW_YORK), H) == tehran(2026, 5, NEXT_MON, 9, 30)


def test_holiday_on_the_monday_pushes_to_tuesday():
    cal = BusinessCalendar("Asia/Tehran", FIVE_BY_NINE, holidays={date(2026, 5, NEXT_MON)})
    assert cal.add(tehran(2026, 5, FRI, 17, 30), H) == tehran(2026, 5, NEXT_MON + 1, 9, 30)
    assert cal.add(tehran(2026, 5, NEXT_MON, 11), H) == tehran(2026, 5, NEXT_MON + 1, 10)
    assert cal.elapsed(tehran(2026, 5, FRI, 9), tehran(2026, 5, NEXT_MON + 1, 9)) == 9 * H
    assert not cal.is_working(tehran(2026, 5, NEXT_MON, 11))
    assert cal.next_opening(tehran(2026, 5, NEXT_MON, 11)) == tehran(2026, 5, NEXT_MON + 1, 9)


def test_year_end_with_new_year_holiday():
    cal = BusinessCalendar("UTC", FIVE_BY_NINE, holidays={date(2026, 1, 1)})
    # Wednesday 31 December 17:00 + 2 h: 1 h on Wednesday, Thursday is a holiday, 1 h Friday.
    assert cal.add(utc(2025, 12, 31, 17), 2 * H) == utc(2026, 1, 2, 10)
    assert cal.add(utc(2026, 1, 2, 10), -2 * H) == utc(2025, 12, 31, 17)
    assert cal.elapsed(utc(2025, 12, 29), utc(2026, 1, 5)) == 4 * 9 * H


def test_lunch_break():
    cal = BusinessCalendar("Asia/Tehran", LUNCH_BREAK)
    assert cal.weekly_working_time == 40 * H
    assert cal.add(tehran(2026, 5, MON, 11, 30), H) == tehran(2026, 5, MON, 13, 30)
    assert cal.add(tehran(2026, 5, MON, 12, 30), 30 * M) == tehran(2026, 5, MON, 13, 30)
    # Ending exactly when lunch starts: due at 12:00, not at 13:00.
    assert cal.add(tehran(2026, 5, MON, 11), H) == tehran(2026, 5, MON, 12)
    assert cal.add(tehran(2026, 5, MON, 9), 8 * H) == tehran(2026, 5, MON, 18)
    assert cal.add(tehran(2026, 5, MON, 9), 9 * H) == tehran(2026, 5, TUE, 10)
    assert cal.elapsed(tehran(2026, 5, MON, 11), tehran(2026, 5, MON, 14)) == 2 * H
    assert not cal.is_working(tehran(2026, 5, MON, 12, 30))
    assert cal.is_working(tehran(2026, 5, MON, 13))
    assert not cal.is_working(tehran(2026, 5, MON, 12))
    assert cal.next_opening(tehran(2026, 5, MON, 12, 1)) == tehran(2026, 5, MON, 13)
    # Backwards from 13:15 by 30 minutes crosses lunch; from 13:30 it lands on 13:00.
    assert cal.add(tehran(2026, 5, MON, 13, 15), -30 * M) == tehran(2026, 5, MON, 11, 45)
    assert cal.add(tehran(2026, 5, MON, 13, 30), -30 * M) == tehran(2026, 5, MON, 13)


def test_negative_durations_count_backwards(desk):
    # "30 minutes before breach": in business time.
    assert desk.add(tehran(2026, 5, NEXT_MON, 9, 30), -30 * M) == tehran(2026, 5, NEXT_MON, 9)
    assert desk.add(tehran(2026, 5, NEXT_MON, 9, 15), -30 * M) == tehran(2026, 5, FRI, 17, 45)
    assert desk.add(tehran(2026, 5, SAT, 12), -H) == tehran(2026, 5, FRI, 17)
    assert desk.add(tehran(2026, 5, NEXT_MON, 9), -9 * H) == tehran(2026, 5, FRI, 9)
    assert desk.add(tehran(2026, 5, NEXT_MON, 14), -500 * H) == (
        tehran(2026, 5, NEXT_MON, 9) - timedelta(weeks=11)
    )


def test_zero_duration_returns_start_even_outside_working_time(desk):
    saturday = tehran(2026, 5, SAT, 12)
    assert desk.add(saturday, timedelta(0)) == saturday
    assert desk.add(saturday, timedelta(0)).tzinfo is UTC


def test_elapsed(desk):
    friday = tehran(2026, 5, FRI, 17, 30)
    monday = tehran(2026, 5, NEXT_MON, 9, 30)
    assert desk.elapsed(friday, monday) == H
    assert desk.elapsed(monday, friday) == -H
    assert desk.elapsed(tehran(2026, 5, FRI, 18), tehran(2026, 5, NEXT_MON, 9)) == timedelta(0)
    assert desk.elapsed(tehran(2026, 5, MON, 12), tehran(2026, 5, MON, 12)) == timedelta(0)
    assert desk.elapsed(tehran(2026, 1, 1), tehran(2027, 1, 1)) == 261 * 9 * H


def test_is_working_and_next_opening(desk):
    assert desk.is_working(tehran(2026, 5, MON, 9))
    assert desk.is_working(tehran(2026, 5, MON, 17, 59, 59, 999999))
    assert not desk.is_working(tehran(2026, 5, MON, 18))
    assert not desk.is_working(tehran(2026, 5, MON, 8, 59))
    assert not desk.is_working(tehran(2026, 5, SAT, 12))
    inside = tehran(2026, 5, MON, 12, 34, 56, 789)
    assert desk.next_opening(inside) == inside
    assert desk.next_opening(inside).tzinfo is UTC
    assert desk.next_opening(tehran(2026, 5, FRI, 18)) == tehran(2026, 5, NEXT_MON, 9)
    assert desk.next_opening(tehran(2026, 5, MON, 3)) == tehran(2026, 5, MON, 9)


def test_arguments_are_checked(desk):
    with pytest.raises(CalendarError, match="timezone-aware"):
        desk.add(datetime(2026, 5, 11, 9), H)  # noqa: DTZ001
    with pytest.raises(CalendarError, match="timezone-aware"):
        desk.elapsed(tehran(2026, 5, 11), datetime(2026, 5, 12))  # noqa: DTZ001
    with pytest.raises(TypeError, match="timedelta"):
        desk.add(tehran(2026, 5, 11), 3600)


def test_seed_targets_up_to_500_hours_against_a_day_walk():
    """With the country's public holidays, every seed target from many starts agrees with a
    plain day-by-day walk in local time (Tehran has had no DST since 2022)."""
    cal = BusinessCalendar.from_country("Asia/Tehran", LUNCH_BREAK, country="IR")
    holidays = cal.holidays
    starts = [tehran(2025, 3, 17, 8) + timedelta(hours=7 * i, minutes=13 * i) for i in range(120)]
    for start in starts:
        for hours in (1, 8, 24, 48, 100, 500):
            expected = _day_walk_add(LUNCH_BREAK, holidays, start, hours * 60)
            assert cal.add(start, hours * H) == expected, (start, hours)


def _day_walk_add(week, holidays, start, minutes):
    """Reference for zones without DST: walk local days, then the intervals of the day."""
    local = start.astimezone(TEHRAN)
    day, now = local.date(), local.hour * 60 + local.minute
    left = minutes
    while True:
        if day not in holidays:
            for s, e in week.get(day.weekday(), ()):
                s_min, e_min = s.hour * 60 + s.minute, e.hour * 60 + e.minute or 1440
                s_min = max(s_min, now)
                if s_min >= e_min:
                    continue
                if e_min - s_min >= left:
                    result = datetime.combine(day, time(0), tzinfo=TEHRAN)
                    return result + timedelta(minutes=s_min + left)
                left -= e_min - s_min
        day += timedelta(days=1)
        now = 0


# --- 24x7 ---------------------------------------------------------------------------------------


def test_always_open_is_plain_time():
    cal = BusinessCalendar.always_open(time_zone="UTC")
    start = utc(2026, 12, 31, 23, 59, 30, 5)
    assert cal.add(start, 90 * timedelta(days=1)) == start + timedelta(days=90)
    assert cal.add(start, -H) == start - H
    assert cal.elapsed(start, start + timedelta(days=400, seconds=7)) == timedelta(400, 7)
    assert cal.is_working(start)
    assert cal.next_opening(start) == start
    assert cal.weekly_working_time == timedelta(days=7)


def test_always_open_with_a_holiday():
    cal = BusinessCalendar.always_open("Asia/Tehran", holidays=[date(2026, 3, 21)])
    assert cal.add(tehran(2026, 3, 20, 23), 2 * H) == tehran(2026, 3, 22, 1)
    assert cal.next_opening(tehran(2026, 3, 21, 12)) == tehran(2026, 3, 22)


# --- DST ----------------------------------------------------------------------------------------
# Berlin 2026: clocks go forward on Sunday 29 March at 02:00 CET (01:00 UTC), back on Sunday
# 25 October at 03:00 CEST (01:00 UTC). New York 2026: 8 March and 1 November.


def test_24x7_across_spring_forward_in_berlin():
    cal = BusinessCalendar.always_open("Europe/Berlin")
    start = berlin(2026, 3, 28, 12)
    due = cal.add(start, 24 * H)
    assert due == berlin(2026, 3, 29, 13) == start + 24 * H
    assert cal.elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 23 * H
    assert cal.add(berlin(2026, 3, 29, 1, 30), H) == berlin(2026, 3, 29, 3, 30)


def test_24x7_across_fall_back_in_berlin():
    cal = BusinessCalendar.always_open("Europe/Berlin")
    start = berlin(2026, 10, 24, 12)
    assert cal.add(start, 24 * H) == berlin(2026, 10, 25, 11)
    assert cal.elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 25 * H
    first, second = berlin(2026, 10, 25, 2, 30), berlin(2026, 10, 25, 2, 30, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == H
    assert cal.elapsed(first, second) == H
    assert cal.add(first, H) == second


def sundays(*intervals):
    return {6: [(time(*s), time(*e)) for s, e in intervals]}


@pytest.mark.parametrize(
    ("interval", "spring", "normal", "fall"),
    [
        # The whole night: the day's real length shows.
        (((1,), (4,)), 2 * H, 3 * H, 4 * H),
        # Inside the gap: never shown by the clock in spring; shown twice in autumn.
        (((2,), (2, 30)), timedelta(0), 30 * M, H),
        # Edges inside the gap act as the instant of the change.
        (((2, 30), (3, 30)), 30 * M, H, 90 * M),
        (((1, 30), (2, 30)), 30 * M, H, 90 * M),
        # Midnight to midnight.
        (((0,), (0,)), 23 * H, 24 * H, 25 * H),
    ],
)
def test_berlin_sunday_interval_lengths(interval, spring, normal, fall):
    cal = BusinessCalendar("Europe/Berlin", sundays(interval))
    assert cal.elapsed(berlin(2026, 3, 28), berlin(2026, 3, 30)) == spring
    assert cal.elapsed(berlin(2026, 4, 4), berlin(2026, 4, 6)) == normal
    assert cal.elapsed(berlin(2026, 10, 24), berlin(2026, 10, 26)) == fall
    # add agrees: a whole normal Sunday from Saturday lands on the next Sunday's closing.
    if spring:
        assert cal.elapsed(berlin(2026, 3, 28), cal.add(berlin(2026, 3, 28), spring)) == spring


def test_berlin_gap_edge_is_the_change_instant():
    cal = BusinessCalendar("Europe/Berlin", sundays(((2, 30), (3, 30))))
    # Spring: 02:30 does not exist; working time starts when the clock jumps to 03:00 CEST.
    assert cal.next_opening(berlin(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    assert not cal.is_working(utc(2026, 3, 29, 0, 59))
    assert cal.is_working(utc(2026, 3, 29, 1))
    assert cal.add(berlin(2026, 3, 28, 12), 30 * M) == berlin(2026, 3, 29, 3, 30)
    # An interval wholly in the gap is skipped: the next Sunday is used.
    gap = BusinessCalendar("Europe/Berlin", sundays(((2, 10), (2, 40))))
    assert gap.next_opening(berlin(2026, 3, 28, 12)) == berlin(2026, 4, 5, 2, 10)
    assert gap.add(berlin(2026, 3, 28, 12), 10 * M) == berlin(2026, 4, 5, 2, 20)


def test_berlin_repeated_hour_counts_twice():
    cal = BusinessCalendar("Europe/Berlin", sundays(((2,), (2, 30))))
    first, second = berlin(2026, 10, 25, 2, 15), berlin(2026, 10, 25, 2, 15, fold=1)
    assert cal.is_working(first)
    assert cal.is_working(second)
    assert not cal.is_working(berlin(2026, 10, 25, 2, 45))
    assert not cal.is_working(berlin(2026, 10, 25, 2, 45, fold=1))
    start = berlin(2026, 10, 24, 12)
    assert cal.add(start, 30 * M) == berlin(2026, 10, 25, 2, 30)  # end of the first pass
    assert cal.add(start, 45 * M) == second  # 15 minutes into the second pass
    assert cal.add(start, 60 * M) == berlin(2026, 10, 25, 2, 30, fold=1)
    assert cal.next_opening(berlin(2026, 10, 25, 2, 40)) == berlin(2026, 10, 25, 2, fold=1)


def test_new_york_desk_across_spring_forward():
    cal = BusinessCalendar("America/New_York", FIVE_BY_NINE)
    friday = datetime(2026, 3, 6, 17, 30, tzinfo=NEW_YORK)
    monday = datetime(2026, 3, 9, 9, 30, tzinfo=NEW_YORK)
    assert cal.add(friday, H) == monday == utc(2026, 3, 9, 13, 30)
    assert cal.elapsed(friday, monday) == H
    # A night shift on the change night loses the skipped hour.
    night = BusinessCalendar("America/New_York", {6: [(time(0), time(6))]})
    sunday = datetime(2026, 3, 8, tzinfo=NEW_YORK)
    assert night.elapsed(sunday, sunday + timedelta(days=1)) == 5 * H
    assert night.add(sunday, 3 * H) == datetime(2026, 3, 8, 4, tzinfo=NEW_YORK)


def test_tehran_2022_changes_at_midnight():
    """Iran last changed clocks in 2022: 22 March 00:00 -> 01:00 and 21 September 24:00 ->
    23:00. A change at midnight must not lose or double a day."""
    cal = BusinessCalendar.always_open("Asia/Tehran")
    assert cal.elapsed(tehran(2022, 3, 21, 12), tehran(2022, 3, 22, 12)) == 23 * H
    assert cal.elapsed(tehran(2022, 9, 21, 12), tehran(2022, 9, 22, 12)) == 25 * H
    # Tuesday 22 March: 00:00-02:00 is one hour (00:00-01:00 never shows).
    night = BusinessCalendar("Asia/Tehran", {1: [(time(0), time(2))], 2: [(time(23), time(0))]})
    assert night.elapsed(tehran(2022, 3, 21, 12), tehran(2022, 3, 23, 12)) == H
    assert night.next_opening(tehran(2022, 3, 21, 12)) == tehran(2022, 3, 22, 1)
    # Wednesday 21 September: 23:00-24:00 shows twice.
    assert night.elapsed(tehran(2022, 9, 21, 12), tehran(2022, 9, 22, 12)) == 2 * H
    assert night.add(tehran(2022, 9, 21, 12), 90 * M) == tehran(2022, 9, 21, 23, 30, fold=1)
    desk = BusinessCalendar("Asia/Tehran", FIVE_BY_NINE)
    assert desk.add(tehran(2022, 3, 21, 17), 2 * H) == tehran(2022, 3, 22, 10)


def test_samoa_skipped_friday_30_december_2011():
    """Samoa crossed the date line: Thursday 29 December 2011 24:00 (UTC-10) was followed by
    Saturday 31 December 00:00 (UTC+14). A skipped date holds no working time at all."""
    apia = ZoneInfo("Pacific/Apia")
    desk = BusinessCalendar("Pacific/Apia", FIVE_BY_NINE)
    thursday = datetime(2011, 12, 29, 17, tzinfo=apia)
    monday = datetime(2012, 1, 2, 10, tzinfo=apia)
    assert desk.add(thursday, 2 * H) == monday
    assert desk.add(monday, -2 * H) == thursday
    week = desk.elapsed(datetime(2011, 12, 26, tzinfo=apia), datetime(2012, 1, 2, tzinfo=apia))
    assert week == 4 * 9 * H
    always = BusinessCalendar.always_open("Pacific/Apia")
    noon = datetime(2011, 12, 29, 12, tzinfo=apia)
    assert always.elapsed(noon, datetime(2011, 12, 31, 12, tzinfo=apia)) == 24 * H


# --- construction and validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"week": {0: [(time(18), time(9))]}}, "Monday: the interval 18:00-09:00 does not end"),
        ({"week": {2: [(time(9), time(9))]}}, "Wednesday: the interval 09:00-09:00"),
        ({"week": {0: [(time(9), time(13)), (time(12), time(18))]}}, "overlap"),
        ({"week": {0: [(time(9), time(0)), (time(8), time(10))]}}, "overlap"),
        ({"week": {7: [(time(9), time(18))]}}, "Weekday 7 is not a number from 0"),
        ({"week": {-1: [(time(9), time(18))]}}, "Weekday -1"),
        ({"week": {"0": [(time(9), time(18))]}}, "Weekday '0'"),
        ({"week": {}}, "no working time"),
        ({"week": {0: [], 6: ()}}, "no working time"),
        ({"week": [(time(9), time(18))]}, "must map weekdays"),
        ({"week": {0: [(time(9),)]}}, r"Monday: each working interval is a \(start, end\) pair"),
        ({"week": {0: [("9am", "18:00")]}}, "Monday: '9am' is not a time of day"),
        ({"week": {0: [("24:00", "24:00")]}}, "'24:00' is not a time of day"),
        ({"week": {0: [(time(9, tzinfo=UTC), time(18))]}}, "without a time zone"),
        ({"holidays": {datetime(2026, 3, 20, tzinfo=UTC)}}, "is a datetime: give the local"),
        ({"holidays": {"2026-03-20"}}, "Holiday '2026-03-20' is not a date"),
        ({"holidays": "2026-03-20"}, "collection of dates"),
        ({"holidays": date(2026, 3, 20)}, "collection of dates"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone 'Mars/Olympus_Mons'"),
        ({"time_zone": "/etc/passwd"}, "Unknown time zone"),
        ({"time_zone": ""}, "IANA name"),
        ({"time_zone": None}, "IANA name"),
    ],
)
def test_invalid_calendars_are_refused_with_a_message(kwargs, message):
    arguments = {"time_zone": "Asia/Tehran", "week": FIVE_BY_NINE, "holidays": frozenset()}
    arguments.update(kwargs)
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(**arguments)


def test_week_is_normalised():
    cal = BusinessCalendar(
        "UTC",
        {
            0: [(time(13), time(18)), (time(9), time(12)), (time(12), time(13))],
            1: [("22:00", "24:00")],
            2: [(time(22), time(0))],
            3: None,
        },
    )
    assert cal.week == {
        0: (WorkingInterval(time(9), time(18)),),
        1: (WorkingInterval(time(22), time(0)),),
        2: (WorkingInterval(time(22), time(0)),),
    }
    assert str(cal.week[1][0]) == "22:00-24:00"
    assert cal.weekly_working_time == 13 * H
    assert cal == BusinessCalendar("UTC", {0: [(time(9), time(18))], 1: [("22:00", "24:00")],
                                           2: [("22:00", "00:00")]})  # fmt: skip
    assert len({cal, BusinessCalendar("UTC", cal.week)}) == 1
    # Midnight to midnight runs into the next day without a break.
    assert cal.add(utc(2026, 5, 12, 23), 2 * H) == utc(2026, 5, 13, 23)


def test_from_country_adds_public_holidays():
    public = holidays_package.country_holidays("IR", years=[2026])
    nowruz_tuesday = date(2026, 3, 24)
    assert nowruz_tuesday in public
    extra = date(2026, 5, 11)
    cal = BusinessCalendar.from_country(
        "Asia/Tehran", FIVE_BY_NINE, country="IR", extra_holidays=[extra]
    )
    assert set(public) <= cal.holidays
    assert extra in cal.holidays
    assert date(2030, 3, 21) in cal.holidays  # Nowruz, within the default years
    assert not cal.is_working(tehran(2026, 3, 24, 10))
    # Nowruz holidays: Monday 23 and Tuesday 24 March; Wednesday 25 is a working day.
    assert cal.add(tehran(2026, 3, 19, 17), 2 * H) == tehran(2026, 3, 25, 10)
    with pytest.raises(CalendarError, match="No public holidays are known for country 'XX'"):
        BusinessCalendar.from_country("UTC", FIVE_BY_NINE, country="XX")
    with pytest.raises(CalendarError, match="subdivision 'ZZ'"):
        BusinessCalendar.from_country("UTC", FIVE_BY_NINE, country="IR", subdivision="ZZ")
    with pytest.raises(CalendarError, match="is a datetime"):
        BusinessCalendar.from_country(
            "UTC", FIVE_BY_NINE, extra_holidays=[datetime(2026, 1, 1, tzinfo=UTC)]
        )


def _every_monday(first: date, weeks: int) -> set[date]:
    return {first + timedelta(weeks=i) for i in range(weeks)}


def test_ten_years_without_working_time_raises():
    monday = date(2026, 5, 11)
    cal = BusinessCalendar("UTC", {0: [(time(9), time(10))]}, _every_monday(monday, 11 * 53))
    start = utc(2026, 5, 10)
    with pytest.raises(CalendarError, match="No working time in the ten years"):
        cal.add(start, M)
    with pytest.raises(CalendarError, match="No working time in the ten years"):
        cal.next_opening(start)
    with pytest.raises(CalendarError, match="No working time in the ten years"):
        cal.add(utc(2037, 6, 1), -M)
    assert cal.elapsed(start, utc(2036, 5, 10)) == timedelta(0)


def test_nine_years_of_holidays_are_galloped_over():
    monday = date(2026, 5, 11)
    weeks = 9 * 52
    cal = BusinessCalendar("UTC", {0: [(time(9), time(10))]}, _every_monday(monday, weeks))
    first_working = monday + timedelta(weeks=weeks)
    expected = datetime.combine(first_working, time(9, 30), tzinfo=UTC)
    assert cal.add(utc(2026, 5, 10), 30 * M) == expected
    assert cal.add(expected, -30 * M) == datetime.combine(first_working, time(9), tzinfo=UTC)
    assert cal.add(expected, -31 * M) == utc(2026, 5, 4, 9, 59)


def test_no_django_import():
    import ast
    import pathlib

    import sla.calendar

    tree = ast.parse(pathlib.Path(sla.calendar.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "bisect", "collections", "datetime", "typing", "zoneinfo",
                        "holidays"}  # fmt: skip


# --- properties against a naive oracle ----------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tehran"]
YEARS = range(2020, 2028)


def _offset_change_days(key: str) -> list[date]:
    zone = ZoneInfo(key)
    days = []
    day = date(YEARS.start, 1, 1)
    while day.year < YEARS.stop:
        noon = datetime.combine(day, time(12), tzinfo=zone)
        if noon.utcoffset() != (noon + timedelta(days=1)).utcoffset():
            days.append(day + timedelta(days=1))
        day += timedelta(days=1)
    return days


CHANGE_DAYS = {key: _offset_change_days(key) for key in ZONES}
assert len(CHANGE_DAYS["Europe/Berlin"]) == 16
assert date(2022, 3, 22) in CHANGE_DAYS["Asia/Tehran"]

MINUTE_MARKS = [0, 60, 90, 120, 150, 180, 210, 240, 1380, 1410, 1440]
minute_of_day = st.one_of(st.integers(0, 1440), st.sampled_from(MINUTE_MARKS))


@st.composite
def week_layouts(draw):
    """Up to three intervals a weekday in whole minutes; some working time somewhere."""
    week = {}
    for weekday in range(7):
        count = draw(st.integers(0, 3))
        marks = sorted(set(draw(st.lists(minute_of_day, min_size=2 * count, max_size=2 * count))))
        pairs = list(zip(marks[::2], marks[1::2], strict=False))
        if pairs:
            week[weekday] = pairs
    if not week:
        week[draw(st.integers(0, 6))] = [(0, 1440)]
    return week


def _as_times(week):
    return {
        d: [(time(s // 60, s % 60), time(e // 60 % 24, e % 60)) for s, e in pairs]
        for d, pairs in week.items()
    }


@st.composite
def scenarios(draw):
    key = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(key)
    week = draw(week_layouts())
    if CHANGE_DAYS[key] and draw(st.booleans()):
        base = draw(st.sampled_from(CHANGE_DAYS[key]))
    else:
        base = draw(st.dates(date(YEARS.start, 1, 8), date(YEARS.stop - 1, 12, 1)))
    start = datetime.combine(base, time(0), tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(-3 * 1440, 3 * 1440))
    )
    holiday_days = draw(st.lists(st.integers(-5, 25), max_size=6))
    holidays = frozenset(base + timedelta(days=i) for i in holiday_days)
    cal = BusinessCalendar(key, _as_times(week), holidays)
    return Oracle(zone, week, holidays), cal, start


class Oracle:
    """Steps minute by minute in UTC; an instant is working iff the wall clock shows a working
    date and minute. Valid for minute-aligned instants (all zones used have whole-minute
    offsets and changes)."""

    LIMIT = 400_000

    def __init__(self, zone, week, holidays):
        self.zone, self.holidays = zone, holidays
        # weekday -> the set of its working minutes of the day
        self.minutes = [{m for s, e in week.get(day, ()) for m in range(s, e)} for day in range(7)]
        self.weekly_minutes = sum(len(minutes) for minutes in self.minutes)

    def working(self, t: datetime) -> bool:
        local = t.astimezone(self.zone)
        return (
            local.hour * 60 + local.minute in self.minutes[local.weekday()]
            and local.date() not in self.holidays
        )

    def add(self, start: datetime, minutes: int) -> datetime:
        t, left, steps = start, abs(minutes), 0
        while left:
            if minutes > 0:
                left -= self.working(t)
                t += M
            else:
                t -= M
                left -= self.working(t)
            steps += 1
            assert steps < self.LIMIT
        return t

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        low, high = min(start, end), max(start, end)
        count, t = 0, low
        while t < high:
            count += self.working(t)
            t += M
        return count * M if end >= start else -count * M

    def next_opening(self, at: datetime) -> datetime:
        t = at
        while not self.working(t):
            t += M
        return t


ORACLE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ORACLE
@given(scenarios(), st.data())
def test_add_matches_the_minute_oracle(scenario, data):
    oracle, cal, start = scenario
    # Keep the oracle's walk short: at most about two weeks of the calendar's working time.
    limit = max(1, min(3 * 1440, 2 * oracle.weekly_minutes))
    minutes = data.draw(st.integers(-limit, limit), label="minutes")
    due = cal.add(start, minutes * M)
    assert due == oracle.add(start, minutes)
    assert cal.elapsed(start, due) == minutes * M
    assert cal.next_opening(start) == oracle.next_opening(start)
    end = start + data.draw(st.integers(-2 * 1440, 2 * 1440), label="end") * M
    assert cal.elapsed(start, end) == oracle.elapsed(start, end)


@FAST
@given(scenarios(), st.integers(-3 * 1440, 3 * 1440))
def test_is_working_is_the_wall_clock(scenario, minutes):
    oracle, cal, start = scenario
    at = start + minutes * M
    assert cal.is_working(at) == oracle.working(at)
    assert cal.is_working(at + timedelta(seconds=59)) == oracle.working(at)


instants = st.timedeltas(timedelta(days=-60), timedelta(days=60))
jitter = st.timedeltas(timedelta(0), timedelta(minutes=5))


def business_durations(oracle, *, negative=True):
    """Up to 60 days of business time, and at most 30 weeks of the calendar's working time (a
    calendar open one minute a week would otherwise send add() centuries ahead)."""
    bound = min(timedelta(days=60), 30 * oracle.weekly_minutes * M)
    return st.timedeltas(-bound if negative else timedelta(0), bound)


@FAST
@given(scenarios(), jitter, st.data())
def test_round_trip(scenario, shift, data):
    oracle, cal, start = scenario
    duration = data.draw(business_durations(oracle), label="duration")
    start += shift  # off the minute grid: microseconds must survive
    due = cal.add(start, duration)
    assert cal.elapsed(start, due) == duration
    if duration > timedelta(0) and cal.is_working(start):
        assert cal.add(start, duration) > start


@FAST
@given(scenarios(), st.data())
def test_monotonic(scenario, data):
    oracle, cal, start = scenario
    d1 = data.draw(business_durations(oracle), label="d1")
    d2 = data.draw(business_durations(oracle), label="d2")
    low, high = sorted((d1, d2))
    assert cal.add(start, low) <= cal.add(start, high)


@FAST
@given(scenarios(), st.booleans(), st.data())
def test_additive(scenario, backwards, data):
    oracle, cal, start = scenario
    a = data.draw(business_durations(oracle, negative=False), label="a")
    b = data.draw(business_durations(oracle, negative=False), label="b")
    if backwards:
        a, b = -a, -b
    assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)


@FAST
@given(scenarios(), instants, instants)
def test_elapsed_antisymmetric_and_additive(scenario, d1, d2):
    _, cal, start = scenario
    a, b = start + d1, start + d2
    assert cal.elapsed(a, b) == -cal.elapsed(b, a)
    assert cal.elapsed(a, start) + cal.elapsed(start, b) == cal.elapsed(a, b)
    assert (cal.elapsed(a, b) >= timedelta(0)) == (b >= a or cal.elapsed(b, a) == timedelta(0))


@FAST
@given(scenarios(), jitter)
def test_next_opening_is_working_and_nothing_elapses_before_it(scenario, shift):
    _, cal, start = scenario
    start += shift
    opening = cal.next_opening(start)
    assert opening >= start
    assert cal.is_working(opening)
    assert cal.elapsed(start, opening) == timedelta(0)
    assume(opening > start)
    assert not cal.is_working(opening - timedelta(microseconds=1))


@FAST
@given(scenarios(), instants, instants, st.lists(instants, max_size=6))
def test_working_spans_give_elapsed_and_is_working(scenario, d1, d2, probes):
    """The spans read once answer elapsed() and is_working() for any instants inside them."""
    _, cal, start = scenario
    low, high = sorted((start + d1, start + d2 + timedelta(microseconds=1)))
    spans = cal.working_spans(low, high)
    assert all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
    assert sum((b - a for a, b in spans), timedelta(0)) == cal.elapsed(low, high)
    for probe in probes:
        at = min(max(start + probe, low), high - timedelta(microseconds=1))
        inside = any(a <= at < b for a, b in spans)
        assert inside == cal.is_working(at)
        before = sum((min(b, at) - a for a, b in spans if a < at), timedelta(0))
        assert before == cal.elapsed(low, at)


@FAST
@given(scenarios(), instants)
def test_utc_offsets_are_the_zones(scenario, d1):
    oracle, cal, start = scenario
    end = start + abs(d1)
    offsets = cal.utc_offsets(start, end)
    assert offsets[0] == (start, start.astimezone(oracle.zone).utcoffset())
    for (at, offset), (following, _) in zip(offsets, [*offsets[1:], (end, None)], strict=True):
        assert at.astimezone(oracle.zone).utcoffset() == offset
        last = max(following - timedelta(seconds=1), at)
        assert last.astimezone(oracle.zone).utcoffset() == offset
