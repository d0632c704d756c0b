"""The dashboards at scale: `python -m bench.dashboard` on the bench database.

1. Builds the fact rollup from scratch (`dashboards.facts.refresh(full=True)`), timed: what a
   first deployment on a large desk costs once.
2. Times the incremental refresh the beat runs every minute after N incidents changed.
3. Times every panel's server-side computation and the whole pages (Django's test Client,
   logged in as a desk manager: view, queries, template) for several periods and filters,
   `--runs` times each (median and max, milliseconds).
4. For comparison, the same compliance by group computed straight from the SLA timers joined
   to the incidents (no rollup), to show why the rollup exists.

Run `python -m bench.generate --incidents 1000000 --reset` first (it writes the timers,
ratings and outage windows too).
"""

import argparse
import statistics
import time

from bench import env


def _ms(function, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def _manager():
    from accounts.models import User
    from accounts.roles import Role

    user = User.objects.filter(groups__name=Role.DESK_MANAGER, is_active=True).first()
    if user is None:
        raise SystemExit("No desk manager in this database: run `python -m bench.generate`.")
    return user


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--touch", type=int, default=1000, help="incidents changed (step 2)")
    parser.add_argument("--skip-backfill", action="store_true")
    args = parser.parse_args(argv)
    env.configure()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from dashboards import facts, selectors
    from dashboards.models import RecordFact
    from dashboards.scope import scope_for
    from incidents.models import Incident
    from sla.models import SlaTimer

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: the manifest
    print(f"database: {env.describe_database()}")
    incidents = Incident.objects.count()
    timers = SlaTimer.objects.count()
    print(f"{incidents:,} incidents, {timers:,} SLA timers")

    if not args.skip_backfill:
        started = time.perf_counter()
        rows = facts.refresh("incident", full=True, out=lambda line: None)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE dashboards_recordfact")
        print(f"\nfull backfill: {rows:,} fact rows in {time.perf_counter() - started:.1f} s")
    print(f"{RecordFact.objects.count():,} fact rows")
    from dashboards import rollup
    from dashboards.models import MonthlyStat

    started = time.perf_counter()
    months = rollup.rebuild_all("incident")
    print(
        f"monthly rollup rebuilt from scratch: {months} months, "
        f"{MonthlyStat.objects.count():,} rows in {time.perf_counter() - started:.1f} s"
    )

    # 2. incremental refresh after `touch` incidents changed
    ids = list(Incident.objects.order_by("-id").values_list("id", flat=True)[: args.touch])
    facts.refresh("incident")  # settle
    Incident.objects.filter(id__in=ids).update(updated_at=timezone.now())
    started = time.perf_counter()
    rebuilt = facts.refresh("incident")
    print(
        f"incremental refresh: {rebuilt:,} changed incidents in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    facts.refresh("incident")
    print(
        f"incremental refresh with nothing changed: {(time.perf_counter() - started) * 1000:.0f} ms"
    )

    group_id = (
        RecordFact.objects.values_list("support_group_id", flat=True)
        .exclude(support_group_id=None)
        .first()
    )
    scopes = [
        ("this month", scope_for("this_month")),
        ("last month", scope_for("last_month")),
        ("last 90 days", scope_for("last_90")),
        ("this year", scope_for("this_year")),
        ("last month, one group", scope_for("last_month", support_group_id=group_id)),
    ]
    print("\n| Period | Panel | median ms | max ms |")
    print("|---|---|---:|---:|")
    for label, scope in scopes:
        for key, function in selectors.PANELS.items():
            p50, worst = _ms(lambda f=function, s=scope: f(s), args.runs)
            print(f"| {label} | {key} | {p50:.1f} | {worst:.1f} |")

    client = Client(HTTP_HOST="localhost")
    client.force_login(_manager())
    print("\n| Page | Period | median ms | max ms |")
    print("|---|---|---:|---:|")
    for label, query in (
        ("this month", {"period": "this_month"}),
        ("last month", {"period": "last_month"}),
        ("last 90 days", {"period": "last_90"}),
        ("this year", {"period": "this_year"}),
        ("last month, one group", {"period": "last_month", "group": group_id}),
    ):
        for name in ("home", "kpis"):
            url = reverse(f"dashboards:{name}")
            client.get(url, query)  # warm
            p50, worst = _ms(lambda u=url, q=query: client.get(u, q), args.runs)
            print(f"| {name} | {label} | {p50:.0f} | {worst:.0f} |")
        url = reverse("dashboards:data", args=["sla_trend"])
        p50, worst = _ms(lambda u=url, q=query: client.get(u, q), args.runs)
        print(f"| JSON sla_trend | {label} | {p50:.0f} | {worst:.0f} |")

    # 4. without the rollup: compliance by group from the timers joined to the incidents
    scope = scope_for("last_month")
    sql = """
        SELECT i.support_group_id,
               count(*) FILTER (WHERE t.state = 'met'),
               count(*) FILTER (WHERE t.state = 'breached')
          FROM sla_slatimer t JOIN incidents_incident i ON i.id = t.object_id
         WHERE t.metric = 'resolution' AND t.stopped_at >= %s AND t.stopped_at < %s
         GROUP BY i.support_group_id
    """

    def direct():
        with connection.cursor() as cursor:
            cursor.execute(sql, [scope.start, scope.end])
            cursor.fetchall()

    p50, worst = _ms(direct, args.runs)
    print(
        f"\nwithout the rollup, resolution compliance by group, last month: {p50:.0f} ms (max {worst:.0f})"
    )
    p50, worst = _ms(lambda: selectors.sla_by(scope, "support_group"), args.runs)
    print(f"with the rollup, the same panel (both metrics): {p50:.0f} ms (max {worst:.0f})")


if __name__ == "__main__":
    main()
