"""`python -m bench.timekeeping`: time tracking at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_NAME python -m bench.timekeeping

Plants `--entries` (1,000,000) time entries over 24 months on `--records` (1,000,000) incident
ids, for 200 organisations, 40 groups and 150 agents (one `INSERT ... SELECT generate_series`),
then measures in process, p50/p95/max over `--requests` (50) calls each:

- the record page's time card (`record_totals`) for random records;
- the time dashboard's breakdowns for one month (`time_by`, every dimension);
- one organisation's chargeback for one month (`chargeback`, its billable time part; the
  orders are the organisation's closed service requests, an indexed handful);
- the export's time columns for a chunk of 2,000 records (`record_minutes_for`).

Idempotent: planted entries carry numbers starting with BENCH and are replaced on each run.
"""

import argparse
import datetime
import random
import statistics
import time


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def plant(*, entries: int, records: int, out) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from accounts.models import Organisation, SupportGroup
    from accounts.roles import Role
    from incidents.models import Incident
    from tests.factories import UserFactory
    from timekeeping.models import TimeEntry

    started = time.perf_counter()
    orgs = [
        Organisation.objects.get_or_create(name=f"Bench org {n}", defaults={"code": f"BENCH{n}"})[
            0
        ].pk
        for n in range(200)
    ]
    groups = [SupportGroup.objects.get_or_create(name=f"Bench group {n}")[0].pk for n in range(40)]
    agents = []
    for n in range(150):
        email = f"bench-agent-{n}@example.com"
        from accounts.models import User

        user = User.objects.filter(email=email).first() or UserFactory(role=Role.AGENT, email=email)
        agents.append(user.pk)
    type_id = ContentType.objects.get_for_model(Incident).pk
    with transaction.atomic():
        TimeEntry.objects.filter(number__startswith="BENCH").delete()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO timekeeping_timeentry
                  (content_type_id, object_id, number, agent_id, support_group_id,
                   organisation_id, service_id, category, minutes, billable, worked_on, note,
                   comment_id, created_at)
                SELECT %s, 1 + (g::bigint * 7919) %% %s, 'BENCH' || g,
                       (%s::bigint[])[1 + g %% 150], (%s::bigint[])[1 + g %% 40],
                       (%s::bigint[])[1 + g %% 200], NULL, 'Category ' || (g %% 30),
                       5 + g %% 120, g %% 3 = 0, current_date - (g %% 730), '', NULL, now()
                FROM generate_series(1, %s) AS g
                """,
                [type_id, records, agents, groups, orgs, entries],
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE timekeeping_timeentry")
    out(f"planted {entries:,} entries in {time.perf_counter() - started:.1f} s")
    return {"type_id": type_id, "orgs": orgs, "records": records}


def _timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(*, truth: dict, requests: int, out) -> None:
    from django.utils import timezone

    from accounts.models import Organisation
    from incidents.models import Incident
    from timekeeping import selectors

    rng = random.Random(20)
    month = timezone.localdate().replace(day=1) - datetime.timedelta(days=40)
    start = month.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)

    def card():
        record = Incident(pk=rng.randint(1, truth["records"]))
        selectors.record_totals(record)

    rows = [("record card (record_totals)", _timed(card, requests))]
    for dimension in selectors.DIMENSIONS:
        rows.append(
            (
                f"dashboard: time per {dimension}, one month",
                _timed(lambda d=dimension: selectors.time_by(d, start=start, end=end), requests),
            )
        )
    organisations = list(Organisation.objects.filter(pk__in=truth["orgs"]))

    def charge():
        selectors.chargeback(organisation=rng.choice(organisations), month=start)

    rows.append(("chargeback, one organisation and month", _timed(charge, requests)))

    def export_chunk():
        first = rng.randint(1, max(1, truth["records"] - 2000))
        selectors.record_minutes_for([(truth["type_id"], pk) for pk in range(first, first + 2000)])

    rows.append(("export time columns, 2,000 records", _timed(export_chunk, requests)))
    for name, times in rows:
        out(
            f"| {name} | {statistics.median(times):.1f} ms | {_percentile(times, 0.95):.1f} ms "
            f"| {max(times):.1f} ms |"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timekeeping", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)

    from bench.env import configure, describe_database, prepare_database

    configure(broker="memory://")
    print(f"database: {describe_database()}")
    prepare_database()
    truth = plant(entries=args.entries, records=args.records, out=print)
    print("| What | p50 | p95 | max |\n|---|---|---|---|")
    measure(truth=truth, requests=args.requests, out=print)


if __name__ == "__main__":
    main()
