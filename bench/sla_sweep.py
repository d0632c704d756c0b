"""The SLA sweep's cost as the number of running timers grows: `python -m bench.sla_sweep`.

For each size (default 10k, 100k, 1M timers on the bench database's incidents), loads that many
running timers with COPY on incidents that have no open clock of their own (the generator's open
incidents keep theirs, and the table reports every running timer), 100 of them due now and the
rest later, then times `sla.services.sweep()` (which fires the due timers' breach and
escalations) RUNS times with 0, 10 and 100 of them due, made due again between runs: wall time
(p50, p95, max), this process's CPU time (median) and its PostgreSQL server process's (mean,
from /proc: the server runs here), and the SQL statements of one more sweep; separately,
the sweep's selection query alone with its plan. The timers are removed afterwards. The sweep's
cost must follow the number of timers due, not the number running. Works on any database the
generator made (its timers, if any, stay untouched).
"""

import argparse
import io
import os
import statistics
import time
from datetime import timedelta

from bench import env
from bench.imports import _database_cpu

DUE = 100
DUE_COUNTS = (0, 10, 100)  # how many of the DUE timers each measured sweep finds due
RUNS = 11
DUE_TARGET_SECONDS = 28801


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args(argv)
    env.configure()
    import django

    django.setup()
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = [row for size in sizes for row in measure(size)]
    print(
        "| Running timers | Due | Sweep p50 ms | p95 ms | max ms | CPU p50 ms | PostgreSQL CPU "
        "ms | Firings | Statements | Selection query ms | Load average |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['size']:,} | {row['due']} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{row['max']:.1f} | {row['cpu']:.1f} | {row['database']:.1f} | {row['firings']} | "
            f"{row['statements']} | "
            f"{row['select_ms']:.2f} | {row['load']} |"
        )
    print()
    print("Plan of the selection at the largest size:\n```")
    print(rows[-1]["plan"])
    print("```")


def _setup():
    """A policy and target of our own, and one rule at 100%: the bench owns what it measures."""
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident
    from sla.models import Calendar, EscalationRule, SlaPolicy, SlaTarget

    calendar, _ = Calendar.objects.get_or_create(
        name="Bench 24x7", defaults={"always_open": True, "time_zone": "UTC"}
    )
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Bench policy", defaults={"is_active": False, "precedence": 9999}
    )
    target, _ = SlaTarget.objects.get_or_create(
        policy=policy, metric="resolution", defaults={"minutes": 480, "calendar": calendar}
    )
    EscalationRule.objects.get_or_create(
        name="Bench warning",
        defaults={"policy": policy, "metric": "resolution", "percent": 75,
                  "action": "notify_addresses", "addresses": "bench@example.com"},
    )  # fmt: skip
    return ContentType.objects.get_for_model(Incident).pk, policy, target


def _load(size, content_type_id, policy, target):
    """COPY `size` running timers onto incidents (DUE of them due now); returns how many timers
    are running in all."""
    from django.db import connection
    from django.utils import timezone

    _clear(policy)
    now = timezone.now()
    with connection.cursor() as cursor:
        # The generator's open incidents have running clocks of their own: one open timer per
        # record and metric, so ours go on the other incidents (the total running is reported).
        cursor.execute(
            "SELECT id FROM incidents_incident i WHERE NOT EXISTS (SELECT 1 FROM sla_slatimer t "
            "WHERE t.content_type_id = %s AND t.object_id = i.id AND t.metric = 'resolution' "
            "AND t.state IN ('running', 'paused')) ORDER BY id DESC LIMIT %s",
            [content_type_id, size],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) < DUE:
        raise SystemExit(f"only {len(ids)} incidents: generate more with python -m bench.generate")
    buffer = io.StringIO()
    for index, object_id in enumerate(ids):
        # DUE timers are past due now; the others fall due later and their next check (the
        # 75% warning, 2 h before) is in the future too.
        due = now - timedelta(minutes=1) if index < DUE else now + timedelta(hours=3 + index % 500)
        started = due - timedelta(hours=8)
        check = due if index < DUE else due - timedelta(hours=2)
        # The DUE timers are told apart by their target (one second more: nothing else changes).
        seconds = DUE_TARGET_SECONDS if index < DUE else 28800
        buffer.write(
            f"{content_type_id}\t{object_id}\t{policy.pk}\t{target.pk}\tresolution\trunning\t"
            f"{started.isoformat()}\t{seconds}\t[]\t{due.isoformat()}\t\\N\t\\N\t"
            f"{check.isoformat()}\t{now.isoformat()}\t\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY sla_slatimer (content_type_id, object_id, policy_id, target_id, metric, state, "
            "started_at, target_seconds, pauses, due_at, breached_at, stopped_at, next_check_at, "
            "updated_at, source) FROM STDIN",
            buffer,
        )
        cursor.execute("ANALYZE sla_slatimer")
        cursor.execute("SELECT count(*) FROM sla_slatimer WHERE state = 'running'")
        return cursor.fetchone()[0]


def _rearm(policy, count: int = DUE) -> None:
    """Make `count` of the DUE timers due again (the others of them a day away), their firings
    forgotten: each run sweeps the same timers among the same running ones."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM sla_slatimer WHERE policy_id = %s AND target_seconds = %s ORDER BY id",
            [policy.pk, DUE_TARGET_SECONDS],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM sla_escalationfiring WHERE timer_id = ANY(%s)", [ids])
        for chosen, moment in ((ids[:count], "- interval '1 minute'"),
                               (ids[count:], "+ interval '1 day'")):  # fmt: skip
            cursor.execute(
                f"UPDATE sla_slatimer SET breached_at = NULL, due_at = now() {moment}, "  # noqa: S608
                f"next_check_at = now() {moment} WHERE id = ANY(%s)",
                [chosen],
            )


def _clear(policy) -> None:
    """Remove the bench's timers in SQL: the ORM's delete() would load a million rows to cascade."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sla_escalationfiring WHERE timer_id IN "
            "(SELECT id FROM sla_slatimer WHERE policy_id = %s)",
            [policy.pk],
        )
        cursor.execute("DELETE FROM sla_slatimer WHERE policy_id = %s", [policy.pk])


def measure(size: int) -> list[dict]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sla import services

    content_type_id, policy, target = _setup()
    running = _load(size, content_type_id, policy, target)
    rows = []
    for count in DUE_COUNTS:
        timings, cpu, firings, database = [], [], 0, 0.0
        for _ in range(RUNS):
            _rearm(policy, count)
            database -= _database_cpu()
            started, began_cpu = time.perf_counter(), time.process_time()
            firings = services.sweep(now=timezone.now())
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
            database += _database_cpu()
        _rearm(policy, count)
        with CaptureQueriesContext(connection) as statements:
            services.sweep(now=timezone.now())
        rows.append({"size": running, "due": count, "p50": statistics.median(timings),
                     "p95": _percentile(timings, 95), "max": max(timings),
                     "cpu": statistics.median(cpu), "database": database * 1000 / RUNS,
                     "firings": firings,
                     "statements": len(statements), "load": _load_average()})  # fmt: skip
    select_ms = []
    with transaction.atomic(), connection.cursor() as cursor:
        sql = (
            "SELECT id FROM sla_slatimer WHERE next_check_at <= now() "
            "ORDER BY next_check_at LIMIT 500 FOR UPDATE SKIP LOCKED"
        )
        _rearm(policy)
        for _ in range(20):
            began = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            select_ms.append((time.perf_counter() - began) * 1000)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    _clear(policy)
    for row in rows:
        row.update(select_ms=statistics.median(select_ms), plan=plan)
    return rows


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
