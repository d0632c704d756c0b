"""Change collisions and the change calendar at scale: `python -m bench.change_collisions`.

Generates the CMDB of `bench.cmdb_impact` (100,000 CIs, 500,000 relationships, COPY), then
50,000 scheduled changes (bulk_create, their CIs by COPY): 5,000 in the busy month (the month
after next), 45,000 over the rest of the year, each of 1 to 8 hours on one to three CIs drawn
from every class. Then times:

- collision detection (`changes.collisions.collisions_for`, at the default depth of 3) for a
  new four-hour change on a core switch in the busy month, a core switch and a start drawn at
  random per sample;
- the calendar month of the busy month (`changes.calendar.calendar_page`: the query of its
  5,000 changes, the grouping into days and the windows), for a staff user.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench_changecal python -m bench.change_collisions
    python -m bench.change_collisions --keep      # measure the data already loaded

The database must be a scratch one (its name contains "bench"): CMDB and change tables are
emptied.
"""

import argparse
import io
import random
import statistics
import time
from datetime import timedelta

from bench import env
from bench.report import percentile

CHANGES = 50_000
BUSY_MONTH = 5_000
SAMPLES = 100


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="measure the data already loaded")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    args = parser.parse_args(argv)
    env.configure()
    env.prepare_database()
    if "bench" not in env.database_name():
        raise SystemExit("Use a scratch database whose name contains 'bench'.")
    if not args.keep:
        from bench.cmdb_impact import generate as generate_cmdb

        started = time.perf_counter()
        cis, relationships = generate_cmdb()
        generate_changes(cis)
        print(
            f"generated {cis:,} CIs, {relationships:,} relationships and {CHANGES:,} changes "
            f"in {time.perf_counter() - started:.0f} s"
        )
    measure(samples=args.samples)


def _busy_month():
    from django.utils import timezone

    today = timezone.localdate()
    first = (today.replace(day=1) + timedelta(days=40)).replace(day=1)
    return (first + timedelta(days=32)).replace(day=1) if first.month == today.month else first


def _staff():
    from accounts.models import User

    user, _created = User.objects.get_or_create(
        email="bench-changes@example.com",
        defaults={"full_name": "Bench change manager", "is_superuser": True, "is_staff": True},
    )
    return user


def generate_changes(cis: int, seed: int = 20261202) -> None:
    from django.db import connection
    from django.utils import timezone

    from changes.models import Change

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE changes_change RESTART IDENTITY CASCADE")
    user = _staff()
    busy = _busy_month()
    zone = timezone.get_current_timezone()
    month_start = timezone.make_aware(timezone.datetime(busy.year, busy.month, 1), zone)  # noqa: DTZ001
    year_start = timezone.now() - timedelta(days=60)
    rows = []
    for n in range(1, CHANGES + 1):
        if n <= BUSY_MONTH:
            start = month_start + timedelta(minutes=rng.randrange(0, 27 * 24 * 60))
        else:
            start = year_start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
            if month_start - timedelta(hours=8) <= start < month_start + timedelta(days=31):
                start += timedelta(days=40)
        rows.append(
            Change(
                number=f"CHG{n:07d}",
                title=f"Bench change {n}",
                requester=user,
                status="scheduled",
                change_type=rng.choice(("normal", "normal", "standard", "emergency")),
                risk_level=rng.choice(("low", "medium", "high")),
                planned_start=start,
                planned_end=start + timedelta(hours=rng.randint(1, 8)),
            )
        )
    Change.objects.bulk_create(rows, batch_size=5_000)
    ids = list(Change.objects.order_by("pk").values_list("pk", flat=True))
    buffer = io.StringIO()
    for change_id in ids:
        for ci_id in rng.sample(range(1, cis + 1), rng.randint(1, 3)):
            buffer.write(f"{change_id}\t{ci_id}\n")
    buffer.seek(0)
    table = Change.configuration_items.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} (change_id, configurationitem_id) FROM STDIN",  # noqa: S608
            buffer,
        )
    connection.ensure_connection()
    autocommit = connection.connection.autocommit
    connection.connection.autocommit = True
    with connection.connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE changes_change")
        cursor.execute(f"VACUUM ANALYZE {table}")
    connection.connection.autocommit = autocommit


def measure(*, samples: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from changes.calendar import Filters, calendar_page
    from changes.collisions import collision_depth, collisions_for
    from changes.models import Change
    from cmdb.models import ConfigurationItem

    rng = random.Random(11)
    user = _staff()
    busy = _busy_month()
    core = list(
        ConfigurationItem.objects.filter(name__startswith="NETWORK_DEVICE-")
        .order_by("-id")
        .values_list("id", flat=True)[:100]
    )
    month_start = timezone.make_aware(timezone.datetime(busy.year, busy.month, 1))  # noqa: DTZ001
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM changes_change")
        changes = cursor.fetchone()[0]
    print(f"\n{changes:,} scheduled changes ({env.describe_database()}), busy month {busy:%Y-%m}")
    times, found, hops = [], [], []
    with transaction.atomic():
        probe = Change.objects.create(
            number="CHG9999999", title="Probe", requester=user, status="requested"
        )
        for _n in range(samples):
            start = month_start + timedelta(minutes=rng.randrange(0, 27 * 24 * 60))
            probe.planned_start, probe.planned_end = start, start + timedelta(hours=4)
            probe.configuration_items.set([rng.choice(core)])
            began = time.perf_counter()
            result = collisions_for(probe)
            times.append((time.perf_counter() - began) * 1000)
            found.append(len(result))
            hops.extend(c.hops for c in result)
        transaction.set_rollback(True)
    print(f"\nCollisions of a 4-hour change on a core switch, depth {collision_depth()}, "
          f"{samples} samples:")  # fmt: skip
    print("\n| What | p50 ms | p95 ms | max ms | collisions p50 | max |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| collisions_for (core switch) | {statistics.median(times):.1f} | "
        f"{percentile(times, 0.95):.1f} | {max(times):.1f} | "
        f"{statistics.median(found):.0f} | {max(found)} |"
    )
    month_times = []
    total = 0
    for _n in range(max(20, samples // 5)):
        began = time.perf_counter()
        page = calendar_page(user=user, view="month", anchor=busy, filters=Filters())
        month_times.append((time.perf_counter() - began) * 1000)
        total = page.total
    print(
        f"| calendar month ({total:,} changes) | {statistics.median(month_times):.1f} | "
        f"{percentile(month_times, 0.95):.1f} | {max(month_times):.1f} | | |"
    )


if __name__ == "__main__":
    main()
