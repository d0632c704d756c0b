"""`python -m bench.sla_calendar`: micro-benchmark of the SLA calendar arithmetic (pure Python;
no Django, no database).

Two calendars in Asia/Tehran with Iran's public holidays 2024-2030 (the `holidays` package):
the seed's 5x9 desk (Monday-Friday 09:00-18:00) and the same with a one-hour lunch break. For
each resolution target, `add(start, target)` is timed from random whole-minute starts over
2025-2026, one call at a time (p50, mean, calls per second), then a naive oracle that steps
minute by minute in UTC asking `is_working` is timed on a few hundred of the same starts (each
of its answers is checked against `add`). Prints a markdown table.

    python -m bench.sla_calendar                       # 20,000 calls per target
    python -m bench.sla_calendar --calls 5000 --oracle-seconds 1
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from sla.calendar import FIVE_BY_NINE, BusinessCalendar

TIME_ZONE = "Asia/Tehran"
TARGET_HOURS = (1, 8, 24, 48, 100, 500)
LUNCH_BREAK = {d: [(clock(9), clock(12)), (clock(13), clock(18))] for d in range(5)}
MINUTE = timedelta(minutes=1)


def calendars() -> dict[str, BusinessCalendar]:
    return {
        "5x9 09:00-18:00": BusinessCalendar.from_country(TIME_ZONE, FIVE_BY_NINE, country="IR"),
        "5x8 with lunch 12:00-13:00": BusinessCalendar.from_country(
            TIME_ZONE, LUNCH_BREAK, country="IR"
        ),
    }


def random_starts(count: int, seed: int) -> list[datetime]:
    """Whole-minute instants, uniform over 2025-2026 in Tehran."""
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=ZoneInfo(TIME_ZONE))
    minutes = 2 * 365 * 24 * 60
    return [first + timedelta(minutes=rng.randrange(minutes)) for _ in range(count)]


def minute_oracle(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The naive way: step minute by minute in UTC and count the working ones."""
    t, left = start.astimezone(UTC), duration // MINUTE
    while left:
        if calendar.is_working(t):
            left -= 1
        t += MINUTE
    return t


def time_calls(call, starts, duration, *, budget_s: float = float("inf")):
    """(microseconds of each call, its answer), in order, until the starts or the time budget
    run out."""
    timings, answers = [], []
    deadline = time.perf_counter() + budget_s
    clock_ns = time.perf_counter_ns
    for start in starts:
        began = clock_ns()
        answer = call(start, duration)
        timings.append((clock_ns() - began) / 1000)
        answers.append(answer)
        if time.perf_counter() > deadline:
            break
    return timings, answers


def measure(args) -> list[dict]:
    rows = []
    starts = random_starts(args.calls, args.seed)
    for name, calendar in calendars().items():
        for start in starts[:2000]:  # warm up: the zone's years and the code paths
            calendar.add(start, timedelta(hours=500))
        for hours in TARGET_HOURS:
            target = timedelta(hours=hours)
            fast, answers = time_calls(calendar.add, starts, target)
            slow, expected = time_calls(
                lambda s, d, c=calendar: minute_oracle(c, s, d),
                starts[: args.oracle_calls],
                target,
                budget_s=args.oracle_seconds,
            )
            for start, got, want in zip(starts, answers, expected, strict=False):
                if got != want:
                    sys.exit(f"add() disagrees with the oracle: {name}, {start}, {hours} h")
            mean = statistics.fmean(fast)
            slow_mean = statistics.fmean(slow)
            rows.append(
                {
                    "calendar": name,
                    "target": f"{hours} h",
                    "p50": statistics.median(fast),
                    "mean": mean,
                    "rate": 1e6 / mean,
                    "oracle_calls": len(slow),
                    "oracle_mean": slow_mean,
                    "ratio": slow_mean / mean,
                }
            )
    return rows


def table(rows: list[dict], calls: int) -> str:
    lines = [
        "| Calendar | Target | add p50 (µs) | add mean (µs) | add calls/s | "
        "oracle calls | oracle mean (µs) | oracle / add |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['calendar']} | {r['target']} | {r['p50']:.1f} | {r['mean']:.1f} | "
            f"{r['rate']:,.0f} | {r['oracle_calls']} | {r['oracle_mean']:,.0f} | "
            f"{r['ratio']:,.0f}x |"
        )
    lines.append("")
    lines.append(
        f"add: {calls:,} calls per target from random whole-minute starts over 2025-2026 "
        f"({TIME_ZONE}, Iran's public holidays 2024-2030); the oracle steps minute by minute "
        "in UTC asking is_working, and every one of its answers equals add()'s."
    )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="add() calls per target")
    parser.add_argument("--oracle-calls", type=int, default=300, help="oracle calls at most")
    parser.add_argument(
        "--oracle-seconds", type=float, default=3.0, help="time budget of the oracle per target"
    )
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    try:
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = ""
    print(
        f"## sla.calendar: add() ({os.cpu_count()} cores, Python {platform.python_version()}"
        f"{load})\n"
    )
    print(table(measure(args), args.calls))


if __name__ == "__main__":
    main()
