"""The major-incident room's reads on a large desk: `python -m bench.major_incidents`.

Loads (COPY-free bulk inserts) N incidents (default 200,000) over the last year on 20 services
from 20,000 requesters, a major incident on one service with 30 updates and 50 outages, then
times the affected users of an update (`selectors.affected_user_ids`), a status page
(`selectors.status_page`) and the room's context, p50/p95 over 30 runs each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_major_bench python -m bench.major_incidents

The database must be a scratch one (its name contains "bench" or "major").
"""

import argparse
import random
import statistics
import time
from datetime import timedelta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=200_000)
    args = parser.parse_args()
    from bench import env

    env.configure()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name and "major" not in name:
        raise SystemExit(f"{name} is not a scratch database")
    from accounts.models import SupportGroup, User
    from catalogue.models import Service
    from incidents.models import Incident
    from majorincidents import selectors
    from majorincidents.models import StatusUpdate
    from servicedesk.actors import system_actor
    from servicedesk.bulk import insert_rows

    now = timezone.now()
    group, _ = SupportGroup.objects.get_or_create(name="Bench desk")
    services = [
        Service.objects.get_or_create(name=f"Bench service {i}", defaults={"support_group": group})[
            0
        ]
        for i in range(20)
    ]
    if Incident.objects.count() < args.incidents:
        users = [User(email=f"bench{i}@example.com", full_name=f"Bench {i}") for i in range(20_000)]
        User.objects.bulk_create(users, ignore_conflicts=True, batch_size=5000)
        user_ids = list(User.objects.filter(email__startswith="bench").values_list("pk", flat=True))
        rows = []
        for n in range(args.incidents):
            created = now - timedelta(minutes=random.randint(0, 365 * 24 * 60))
            rows.append({
                "number": f"INB{n:07d}", "title": "Bench", "description": "", "status": "closed",
                "impact": "low", "urgency": "low", "priority": 4, "channel": "portal",
                "requester_id": random.choice(user_ids), "support_group_id": group.pk,
                "service_id": random.choice(services).pk, "major_incident": False,
                "created_at": created, "updated_at": created, "version": 1,
                "pending_reason": "", "resolution_code": "", "resolution_notes": "",
                "reassignment_count": 0, "reopen_count": 0, "first_contact_resolution": False,
            })  # fmt: skip
            if len(rows) == 10_000:
                with transaction.atomic():
                    insert_rows(Incident, rows)
                rows = []
        for k in range(50):
            start = now - timedelta(days=random.randint(1, 89), hours=k % 7)
            Incident.objects.filter(number=f"INB{k:07d}").update(
                service=services[0], major_incident=True, outage_started_at=start,
                outage_ended_at=start + timedelta(hours=2),
            )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incidents_incident")
    major = Incident.objects.filter(service=services[0], major_incident=True).first()
    Incident.objects.filter(pk=major.pk).update(status="in_progress")
    major.refresh_from_db()
    if not StatusUpdate.objects.filter(incident=major).exists():
        for k in range(30):
            StatusUpdate.objects.create(
                incident=major, service=services[0], health="degraded", text=f"Update {k}",
                author=system_actor(),
            )  # fmt: skip

    def timed(label, function, runs=30):
        function()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = function()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"| {label} | {statistics.median(times):.1f} | {p95:.1f} | {result} |")

    total = Incident.objects.count()
    print(f"\n{total:,} incidents, 20 services, 20,000 requesters\n")
    print("| Read | p50 ms | p95 ms | Result |\n|---|---|---|---|")
    timed("affected users of an update", lambda: len(selectors.affected_user_ids(major)))
    timed("status page (90 days)", lambda: selectors.status_page(service=services[0])["uptime"])
    timed("portal overview (staff)", lambda: len(selectors.service_overview(user=system_actor())))


if __name__ == "__main__":
    main()
