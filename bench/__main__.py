"""`python -m bench` (`make bench`): measure the pages and the API on the current database.

    python -m bench                              # the data already in DATABASE_URL
    python -m bench --sizes 100000,1000000       # generate each size (--reset), then measure
    python -m bench --only queue,record --explain

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/servicedesk_bench (see bench/env.py
for every default). Prints one markdown table per data size; see docs/performance.md.
"""

import argparse
import platform
import sys
import time

DEFAULT_SIZE = 100_000
SECTIONS = ("queue", "api", "record", "create", "workspace", "numbering", "throughput")


def _machine() -> str:
    import os

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.1f} {:.1f} {:.1f} at the start".format(*os.getloadavg())
    return (
        f"{os.cpu_count()} cores{memory}, Python {platform.python_version()}, "
        f"PostgreSQL {version.split()[0]}{load}"
    )


def run_once(args, generated=None, out=print) -> list:
    from django.core.management import call_command

    from bench import endpoints, micro
    from bench.env import describe_database, estimated_rows
    from bench.report import markdown_table

    only = set(args.only.split(",")) if args.only else None
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: the manifest
    size = estimated_rows("incidents_incident")
    machine = _machine()
    ctx = endpoints.build_context(size, samples=args.warmup + args.requests)
    started = time.perf_counter()
    rows = endpoints.run_in_process(ctx, requests=args.requests, warmup=args.warmup, only=only)
    if not only or "throughput" in only:
        rows.append(
            endpoints.run_create_throughput(
                ctx,
                clients=args.clients,
                workers=args.workers,
                per_client=args.per_client,
                worker_class=args.worker_class,
                threads=args.threads,
            )  # fmt: skip
        )
    if not only or "numbering" in only:
        rows.append(micro.record_numbers(size=size))
    endpoints.forget_queued_emails()
    out("")
    out(f"### {size:,} incidents ({describe_database()})")
    out("")
    out(
        f"Machine: {machine}. {args.requests} timed requests after {args.warmup} warm-ups; "
        f"server time in process (test Client), DEBUG off. "
        f"Took {time.perf_counter() - started:.0f} s."
    )
    out("")
    if generated is not None:
        out(f"Generator: {generated.summary()}")
    out("")
    out(markdown_table(rows))
    _plans(rows, explain=args.explain, out=out)
    return rows


def _plans(rows, *, explain: bool, out) -> None:
    """Under the table: where the time goes for each row that missed its target, the plans of
    sequential scans on big tables, and (--explain) every slow query's EXPLAIN ANALYZE."""
    from bench.endpoints import explain_analyze, plain_select
    from bench.report import percentile

    for row in rows:
        if row.met is False and row.db_ms:
            db, total = percentile(row.db_ms, 0.5), row.p50
            out("")
            out(
                f"- **{row.what}** missed {row.target}: p50 {total:.0f} ms of which "
                f"{db:.0f} ms in {row.queries_text()} queries"
                + (" (the rest is Python: view, forms, template)" if db < total / 2 else "")
            )
        for sql, plan in row.plan_warnings:
            out("")
            out(f"**{row.what}**: sequential scan of a big table in")
            out(f"```sql\n{sql}\n```")
            out(f"```\n{explain_analyze(sql) if explain else plan}\n```")
        if not row.slowest_sql or row.slowest_sql_ms < 10:
            continue
        if explain or row.met is False:
            plan = explain_analyze(row.slowest_sql)
            execution = _plan_ms(plan, "Execution Time")
            if not explain and execution < 5:
                continue  # the query is not what makes the row slow
            out("")
            out(
                f"**{row.what}**: slowest query {row.slowest_sql_ms:.0f} ms in the run; "
                f"now planning {_plan_ms(plan, 'Planning Time'):.1f} ms + execution "
                f"{execution:.1f} ms"
            )
            out(f"```sql\n{plain_select(row.slowest_sql)}\n```")
            out(f"```\n{plan}\n```")


def _plan_ms(plan: str, label: str) -> float:
    for line in plan.splitlines():
        if line.strip().startswith(label + ":"):
            return float(line.split(":")[1].split()[0])
    return 0.0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--sizes", help="comma-separated incident counts to generate and measure")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per row (50)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per row (5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients (8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--per-client", type=int, default=50, help="creates per client (50)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker (1)")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow queries")
    parser.add_argument("--jobs", type=int, default=None, help="generator worker processes")
    parser.add_argument("--force", action="store_true", help="generate into any database")
    args = parser.parse_args(argv)

    from bench.env import configure, describe_database, estimated_rows, prepare_database

    configure()
    print(f"database: {describe_database()}")
    prepare_database()
    if not args.sizes and estimated_rows("incidents_incident") <= 0:
        from incidents.models import Incident

        if not Incident.objects.exists():
            print(f"no incidents yet: generating {DEFAULT_SIZE:,} first", file=sys.stderr)
            args.sizes = str(DEFAULT_SIZE)
    if not args.sizes:
        run_once(args)
        return
    from bench.generate import generate

    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    for size in sizes:
        print(f"\n## Generating {size:,} incidents", file=sys.stderr)
        generated = generate(
            incidents=size,
            reset_first=True,
            jobs=args.jobs,
            force=args.force,
            out=lambda line: print(line, file=sys.stderr),
        )
        run_once(args, generated)


if __name__ == "__main__":
    main()
