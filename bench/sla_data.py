"""What the dashboards need on top of the generated incidents: their SLA timers, satisfaction
ratings and major-incident outage windows. Called by `bench.generate` after the incidents' COPY
(skip with --no-sla); also runnable alone: `python -m bench.sla_data` (replaces what it wrote).

- Timers: a first-response and a resolution timer per incident of priority 1-4 (P5 has no
  policy), on the default policies and the 5x9 calendar, due times computed with the real
  calendar arithmetic (`sla.calendar`). The first response meets the response timer (or the
  resolution does); the resolution meets the resolution timer; late is breached. Open
  incidents' timers run (breached when past due); cancelled incidents' timers are cancelled.
- Ratings: ~30% of the resolved incidents, hours after the resolution, by the requester; scores
  skewed to satisfied (1-5: 3%, 4%, 8%, 30%, 55%).
- Outages: every major incident's outage starts up to 30 minutes before it was logged and ends
  when it was resolved (still open: the service came back within 4 hours, a workaround).

One read pass over the incidents with a server-side cursor, COPY in chunks of 100,000 rows.
"""

import io
import random
import time
from datetime import UTC, datetime, timedelta

CHUNK = 100_000
RATED_SHARE = 0.30
SCORES = [1, 2, 3, 4, 5]
SCORE_WEIGHTS = [3, 4, 8, 30, 55]

TIMER_COLUMNS = (
    "content_type_id", "object_id", "policy_id", "target_id", "metric", "state", "started_at",
    "target_seconds", "pauses", "due_at", "breached_at", "stopped_at", "next_check_at",
    "updated_at", "source",
)  # fmt: skip
RATING_COLUMNS = ("content_type_id", "object_id", "created_at", "rated_by_id", "score", "comment")


def _stamp(value) -> str:
    return r"\N" if value is None else value.isoformat()


def _policies():
    """priority -> [(metric, policy id, target id, target seconds, BusinessCalendar)]."""
    from sla.models import SlaPolicy
    from sla.services import business_calendar

    out = {}
    for policy in SlaPolicy.objects.filter(
        record_type="incident", kind="sla", is_active=True, priority__isnull=False,
        service__isnull=True, organisation__isnull=True,
    ).prefetch_related("targets__calendar"):  # fmt: skip
        if policy.priority in out:
            continue
        out[policy.priority] = [
            (t.metric, policy.pk, t.pk, t.minutes * 60, business_calendar(t.calendar))
            for t in policy.targets.all()
        ]
    return out


def clear(cursor) -> None:
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident

    ct = ContentType.objects.get_for_model(Incident).pk
    cursor.execute("TRUNCATE sla_escalationfiring")
    cursor.execute("DELETE FROM sla_slatimer WHERE content_type_id = %s", [ct])
    cursor.execute("DELETE FROM servicedesk_satisfactionrating WHERE content_type_id = %s", [ct])
    cursor.execute("TRUNCATE dashboards_recordfact, dashboards_refreshstate")


def load(out=print, seed: int = 11) -> dict:
    from django.db import transaction

    with transaction.atomic():
        return _load(out, seed)


def _load(out, seed: int) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from incidents.models import Incident

    started = time.perf_counter()
    rng = random.Random(seed)
    ct = ContentType.objects.get_for_model(Incident).pk
    policies = _policies()
    now = datetime.now(UTC)
    counts = {"timers": 0, "ratings": 0, "outages": 0}
    with connection.cursor() as cursor:
        clear(cursor)
    raw = connection.connection
    reader = raw.cursor(name="bench_sla_read")
    reader.itersize = CHUNK
    reader.execute(
        "SELECT id, created_at, priority, status, first_responded_at, resolved_at, requester_id"
        " FROM incidents_incident ORDER BY id"
    )
    writer = raw.cursor()
    timers, ratings = io.StringIO(), io.StringIO()
    pending = 0

    def flush():
        nonlocal timers, ratings, pending
        timers.seek(0)
        ratings.seek(0)
        writer.copy_expert(f"COPY sla_slatimer ({', '.join(TIMER_COLUMNS)}) FROM STDIN", timers)
        writer.copy_expert(
            f"COPY servicedesk_satisfactionrating ({', '.join(RATING_COLUMNS)}) FROM STDIN",
            ratings,
        )
        timers, ratings, pending = io.StringIO(), io.StringIO(), 0

    stamp_now = now.isoformat()
    for pk, created, priority, status, responded, resolved, requester in reader:
        done = status in ("resolved", "closed")
        for metric, policy_id, target_id, seconds, calendar in policies.get(priority, ()):
            due = calendar.add(created, timedelta(seconds=seconds))
            stop = None
            if status == "cancelled":
                state, stop, breached, check = "cancelled", resolved or created, None, None
            else:
                if metric == "first_response":
                    stop = responded or (resolved if done else None)
                elif done:
                    stop = resolved
                if stop is not None:
                    late = stop > due
                    state, breached, check = (
                        ("breached" if late else "met"),
                        (due if late else None),
                        None,
                    )
                else:
                    state = "running"
                    breached = due if due <= now else None
                    check = None if breached else due
            timers.write(
                f"{ct}\t{pk}\t{policy_id}\t{target_id}\t{metric}\t{state}\t{created.isoformat()}\t"
                f"{seconds}\t[]\t{due.isoformat()}\t{_stamp(breached)}\t{_stamp(stop)}\t"
                f"{_stamp(check)}\t{stamp_now}\t\n"
            )
            counts["timers"] += 1
        if done and resolved is not None and rng.random() < RATED_SHARE:
            score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
            rated = min(resolved + timedelta(hours=rng.expovariate(1 / 20)), now)
            ratings.write(f"{ct}\t{pk}\t{rated.isoformat()}\t{requester}\t{score}\t\n")
            counts["ratings"] += 1
        pending += 1
        if pending >= CHUNK:
            flush()
            out(f"  {counts['timers']:>10,} timers  {counts['ratings']:>10,} ratings")
    flush()
    reader.close()
    writer.execute(
        "UPDATE incidents_incident SET"
        " outage_started_at = created_at - (random() * interval '30 minutes'),"
        " outage_ended_at = CASE WHEN status IN ('resolved', 'closed') THEN resolved_at"
        " ELSE created_at + (random() * interval '4 hours') END"
        " WHERE major_incident AND status <> 'cancelled' AND service_id IS NOT NULL"
    )
    counts["outages"] = writer.rowcount
    for table in ("sla_slatimer", "servicedesk_satisfactionrating", "incidents_incident"):
        writer.execute(f"ANALYZE {table}")
    counts["seconds"] = time.perf_counter() - started
    out(
        f"SLA timers {counts['timers']:,}, ratings {counts['ratings']:,}, outage windows "
        f"{counts['outages']:,} in {counts['seconds']:.1f} s"
    )
    return counts


def main(argv=None) -> None:
    from bench.env import configure, describe_database

    configure(broker="memory://")
    import django

    django.setup()
    from bench.generate import check_target

    print(f"database: {describe_database()}")
    check_target(force=False)
    load()


if __name__ == "__main__":
    main()
