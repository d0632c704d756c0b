"""`python -m bench.followsun`: what the follow-the-sun beat and a handover cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_mine python -m bench.followsun

Builds in one transaction that is rolled back at the end (nothing stays, the database may be
any migrated copy): three desks (Tehran, Berlin, New York) in a chain, and `--records` open
incidents with Tehran's desk. Then times, with the load average beside each figure:

- the beat when nothing is due (every closed desk already handed over), `--runs` times;
- Tehran's handover of every record at the end of its day (one run: assign, work note, item);
- the queue annotator on a page of 50 incidents that were all handed over (one query).
"""

import argparse
import os
import statistics
import time


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)

    from bench.env import configure

    configure()
    from datetime import UTC, datetime
    from datetime import time as clock

    from django.db import transaction

    from accounts.models import SupportGroup
    from bench.env import describe_database
    from followsun import services
    from incidents.models import Incident
    from servicedesk.actors import system_actor
    from servicedesk.selectors import queue_annotate
    from sla.models import Calendar, WorkingHours

    def load() -> str:
        return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())

    print(f"# follow-the-sun on {describe_database()}, {args.records} records")
    actor = system_actor()
    with transaction.atomic():
        desks = []
        for name, zone, start, end in (
            ("Tehran", "Asia/Tehran", 8, 16),
            ("Berlin", "Europe/Berlin", 9, 17),
            ("New York", "America/New_York", 9, 17),
        ):
            group = SupportGroup.objects.create(name=f"Bench desk {name}")
            calendar = Calendar.objects.create(name=f"Bench desk {name}", time_zone=zone)
            WorkingHours.objects.bulk_create(
                WorkingHours(calendar=calendar, weekday=d, start=clock(start), end=clock(end))
                for d in range(7)
            )
            desks.append((group, calendar))
        services.chain_create(
            actor=actor, name="Bench chain", record_types=["incident"], desks=desks
        )
        requester = actor
        tehran = desks[0][0]
        rows = [
            Incident(
                number=f"BENCHSUN{n:07d}",
                title=f"Bench handover {n}",
                requester=requester,
                support_group=tehran,
                status="in_progress",
                impact="medium",
                urgency="medium",
                priority=3,
            )  # fmt: skip
            for n in range(args.records)
        ]
        Incident.objects.bulk_create(rows)
        closing = datetime(2026, 12, 8, 12, 31, tzinfo=UTC)
        started = time.perf_counter()
        made = services.handovers_due(now=closing)
        took = time.perf_counter() - started
        print(f"handover of {made[0].records} records: {took * 1000:.0f} ms "
              f"({took * 1000 / max(made[0].records, 1):.1f} ms a record); {load()}")  # fmt: skip
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            assert services.handovers_due(now=closing) == []  # noqa: S101 - a bench's check
            times.append(time.perf_counter() - started)
        print(f"beat with nothing due: median {statistics.median(times) * 1000:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms over {args.runs} runs; {load()}")  # fmt: skip
        page = list(Incident.objects.filter(number__startswith="BENCHSUN").order_by("id")[:50])
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            queue_annotate(page)
            times.append(time.perf_counter() - started)
        print(f"queue badges, 50 rows: median {statistics.median(times) * 1000:.2f} ms; {load()}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
