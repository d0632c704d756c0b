"""What the in-process page benchmarks share (`bench.requests`, `bench.tasks`): Django started
on a migrated database with the static files' manifest (DEBUG is off), bench people made once,
the Django test client's answers checked, each case timed (p50, p95 and its query count) and the
markdown table printed."""

import statistics
import time
from collections.abc import Callable, Iterable

from bench import env

Row = tuple[str, float, float, int]


def start() -> None:
    """Django with the bench's settings, the database migrated, the static files collected."""
    env.configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: the manifest


def bench_person(email: str, name: str, role: str, **defaults):
    """The bench's person with this address (made once, password "bench-pass"), in `role`."""
    from django.contrib.auth.models import Group

    from accounts.models import User

    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": name, **defaults}
    )
    if created:
        user.set_password("bench-pass")
        user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def ok(response):
    """The test client's answer, which must be a 200 (else the bench stops, naming the page)."""
    if response.status_code != 200:
        raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}")
    return response


def timed(func: Callable[[], object], runs: int) -> tuple[float, float, int]:
    """p50 and p95 in ms of `runs` calls after a warm one, and one call's queries (the caller
    captures them: `measure`)."""
    from django.db import connection, reset_queries

    func()  # warm
    times, queries = [], 0
    for _ in range(runs):
        reset_queries()
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
        queries = len(connection.queries)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries


def measure(cases: Iterable[tuple[str, Callable[[], object]]], runs: int) -> list[Row]:
    """Each (name, function) timed with its queries counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = []
    for name, func in cases:
        with CaptureQueriesContext(connection):
            p50, p95, queries = timed(func, runs)
        rows.append((name, p50, p95, queries))
    return rows


def print_table(data: str, rows: list[Row]) -> None:
    """The data line, then the markdown table of the rows."""
    print(f"{data}\n")
    print("| What | p50 ms | p95 ms | Queries |")
    print("|---|---:|---:|---:|")
    for name, p50, p95, queries in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {queries} |")
