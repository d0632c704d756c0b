"""Breach prediction, measured: `python -m bench.prediction` on a copy of the bench database.

    createdb -h 127.0.0.1 -U postgres -T servicedesk_bench sd_NAME_bench   # never the original
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_NAME_bench python -m bench.prediction \\
        --train --training-days 60 --test-days 14 --calibration none,isotonic --timers 100000

- `--train`: trains the model on the history (`prediction.services.model_train`, the settings
  given) once per `--calibration` method and prints its quality on the held-out recent period
  against the naive "due within 2 h" rule: AUC, Brier score, precision at the top 50 of the
  queue replayed, how long before each breach it was first flagged, the calibration table. The
  last one trained stays in use.
- `--timers N`: plants N open SLA timers (COPY, on the bench's own policy, on the incidents
  with no open resolution clock, started up to five days ago on the incident's own target, a
  fifth of them with a pause) and times `prediction.services.predictions_refresh` end to end,
  `--runs` times, step by step (load, features, predict, reasons, write, escalate); the planted
  timers are removed afterwards.
- `--imported N`: the history is an imported one: N incidents of a generated ServiceNow export
  (`bench.imports.generate`) imported on an empty database through the import service with
  the SLA recomputed (`transfer.services.import_run`, as `manage.py import_records ... --sla
  recompute`: our clocks replayed over the imported history, docs/import-export.md) before
  training, as of the history's end unless `--now` says otherwise.

Every figure is printed with the load average: the machine is shared.
"""

import argparse
import inspect
import io
import os
import random
import time
from datetime import datetime, timedelta

from threadpoolctl import threadpool_limits

from bench import env

SHARED = "servicedesk_bench"
POLICY = "Bench prediction"


def _load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=0, help="open timers to plant and score")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--train", action="store_true")
    parser.add_argument(
        "--imported", type=int, default=0, help="import this many incidents first (empty database)"
    )
    parser.add_argument("--training-days", type=int, default=60)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--step-hours", type=int, default=12)
    parser.add_argument("--max-timers", type=int, default=150_000, help="training timers, at most")
    parser.add_argument(
        "--threads", type=int, help="OpenMP threads of the model (default: scikit-learn's)"
    )
    parser.add_argument("--calibration", default="none", help="none, isotonic, sigmoid (a list)")
    parser.add_argument("--now", help="train as of this instant (ISO): an older history's end")
    args = parser.parse_args(argv)
    env.configure(broker="memory://")
    env.require_postgresql()
    if env.database_name() == SHARED:
        raise SystemExit(
            f"{SHARED} is shared and only read: copy it first "
            f"(createdb -T {SHARED} sd_NAME_bench) and point DATABASE_URL at the copy."
        )
    from django.conf import settings

    settings.PREDICTION_TRAINING_DAYS = args.training_days
    settings.PREDICTION_TEST_DAYS = args.test_days
    settings.PREDICTION_EVAL_STEP_HOURS = args.step_hours
    settings.PREDICTION_MAX_TIMERS = args.max_timers
    settings.PREDICTION_DIR = env.ROOT / "var" / "bench" / "models"
    print(f"database {env.describe_database()}, {os.cpu_count()} cores, load {_load()}, "
          f"model threads {args.threads or 'default'}")  # fmt: skip
    with threadpool_limits(limits=args.threads, user_api="openmp"):
        run(args)


def run(args) -> None:
    from django.conf import settings

    now = datetime.fromisoformat(args.now) if args.now else None
    if args.imported:
        now = now or import_history(args.imported)
    if args.train:
        for method in args.calibration.split(","):
            settings.PREDICTION_CALIBRATION = "" if method == "none" else method
            train(method, now=now)
    if args.timers:
        score(args.timers, args.runs)


# --- quality ------------------------------------------------------------------------------------


def train(method: str, now=None) -> None:
    from prediction import services
    from servicedesk.actors import system_actor

    load_before = _load()
    row = services.model_train(actor=system_actor(), now=now)
    if not row.usable:
        print(f"not usable: {row.note}")
        return
    m, queue = row.metrics, row.metrics["queue"]
    print(f"\n### calibration {method}: trained in {row.seconds:.0f} s, load {load_before} -> "
          f"{_load()}; {row.history:,} timers with a known outcome, {row.training_rows:,} "
          f"training and {row.test_rows:,} held-out moments, breach rate {row.breach_rate:.3f}; "
          f"queue replayed at {queue['moments']} moments {queue['step_hours']:.0f} h apart\n")  # fmt: skip
    print("| | the model | due within 2 h |\n|---|---|---|")
    print(f"| AUC | {m['auc']:.3f} | {m['baseline_auc']:.3f} |")
    flag, rule = m["model_flag"], m["rule_flag"]
    print(f"| flagged / precision / recall | {flag['flagged']:,} / {flag['precision']} / "
          f"{flag['recall']} | {rule['flagged']:,} / {rule['precision']} / {rule['recall']} |")  # fmt: skip
    print(f"| precision of the top 50 | {queue['precision_top50']} | "
          f"{queue['rule_precision_top50']} |")  # fmt: skip
    lead = " / ".join(str(b["breaches"]) for b in queue["lead_model"])
    lead_rule = " / ".join(str(b["breaches"]) for b in queue["lead_rule"])
    buckets = " / ".join(b["bucket"] for b in queue["lead_model"])
    print(f"| of {queue['breaches']:,} breaches, first flagged {buckets} | {lead} | {lead_rule} |")
    print(f"| Brier score | {m['brier']:.3f} | |")
    bins = ", ".join(f"{b['predicted']:.2f}->{b['observed']:.2f} ({b['rows']:,})"
                     for b in m["calibration"])  # fmt: skip
    print(f"\ncalibration (mean predicted -> breached, rows): {bins}")
    top = ", ".join(f"{i['feature']} {i['importance']:.3f}" for i in m["importance"][:6])
    print(f"importance: {top}")


# --- scoring ------------------------------------------------------------------------------------


def score(count: int, runs: int) -> None:
    from django.utils import timezone

    from prediction import services
    from prediction.models import BreachPrediction

    if services.current_model() is None:
        raise SystemExit("no usable model: run with --train first")
    policy = _policy()
    try:
        planted = plant(count, policy)
        print(f"\nplanted {planted:,} open timers; scoring every open timer not yet breached")
        print("\n| run | timers | load | features | predict | reasons | write | escalate | "
              "total s | load average |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")  # fmt: skip
        for run in range(1, runs + 1):
            timings: dict[str, float] = {}
            steps_told = "timings" in inspect.signature(services.predictions_refresh).parameters
            began = time.perf_counter()
            if steps_told:
                scored = services.predictions_refresh(now=timezone.now(), timings=timings)
            else:  # an older version of the code, measured beside this one: the total only
                scored = services.predictions_refresh(now=timezone.now())
            total = time.perf_counter() - began
            steps = " | ".join(
                f"{timings.get(step, 0):.2f}"
                for step in ("load", "features", "predict", "reasons", "write", "escalate")
            )
            print(f"| {run} | {scored:,} | {steps} | {total:.2f} | {_load()} |")
        print(f"\nstored: {BreachPrediction.objects.count():,} predictions, "
              f"{BreachPrediction.objects.exclude(reasons=[]).count():,} with reasons")  # fmt: skip
    finally:
        clear(policy)


def _policy():
    from sla.models import SlaPolicy

    policy, _ = SlaPolicy.objects.get_or_create(
        name=POLICY, defaults={"is_active": False, "precedence": 9998}
    )
    return policy


def plant(count: int, policy) -> int:
    """COPY `count` open resolution timers onto incidents without an open one: each on its
    priority's default resolution target (its calendar), started up to five days ago, its due
    time from the calendar; one in five put on hold for a while (one in ten still on hold)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from bench.sla_data import _policies
    from incidents.models import Incident

    content_type_id = ContentType.objects.get_for_model(Incident).pk
    targets = {
        priority: next((t for t in found if t[0] == "resolution"), None)
        for priority, found in _policies().items()
    }
    now = timezone.now()
    rng = random.Random(22)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, priority FROM incidents_incident i WHERE priority = ANY(%s) AND NOT "
            "EXISTS (SELECT 1 FROM sla_slatimer t WHERE t.content_type_id = %s AND "
            "t.object_id = i.id AND t.state IN ('running', 'paused')) ORDER BY id DESC LIMIT %s",
            [[p for p, t in targets.items() if t], content_type_id, count],
        )
        incidents = cursor.fetchall()
    buffer = io.StringIO()
    for object_id, priority in incidents:
        _metric, _policy_id, target_id, seconds, calendar = targets[priority]
        started = now - timedelta(seconds=rng.uniform(0, 5 * 86400))
        state, pauses, held = "running", "[]", timedelta(0)
        if rng.random() < 0.2:
            begin = started + (now - started) * rng.random()
            end = None if rng.random() < 0.5 else begin + (now - begin) * rng.random()
            state = "paused" if end is None else "running"
            held = (end or now) - begin
            stop = f'"{end.isoformat()}"' if end else "null"
            pauses = f'[["{begin.isoformat()}", {stop}]]'
        due = calendar.add(started, timedelta(seconds=seconds) + held)
        buffer.write(
            f"{content_type_id}\t{object_id}\t{policy.pk}\t{target_id}\tresolution\t{state}\t"
            f"{started.isoformat()}\t{seconds}\t{pauses}\t{due.isoformat()}\t\\N\t\\N\t"
            f"{due.isoformat()}\t{now.isoformat()}\t\n"
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
    return len(incidents)


def clear(policy) -> None:
    """Remove the planted timers (their predictions go with them) in SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM prediction_breachprediction WHERE timer_id IN "
            "(SELECT id FROM sla_slatimer WHERE policy_id = %s)",
            [policy.pk],
        )
        cursor.execute("DELETE FROM sla_slatimer WHERE policy_id = %s", [policy.pk])


# --- an imported history ------------------------------------------------------------------------


def import_history(count: int) -> datetime:
    """Import `count` generated incidents with the SLA recomputed (the import service replays
    our clocks over each record's history: pauses while pending, reopenings); returns the
    history's end, the moment to train as of."""
    from django.db.models import Max

    from bench.imports import run_import
    from incidents.models import Incident
    from sla.models import SlaTimer

    began, timers = time.perf_counter(), SlaTimer.objects.count()
    print(run_import(count, sla="recompute"))
    end = Incident.objects.aggregate(end=Max("updated_at"))["end"]
    print(f"imported history: {SlaTimer.objects.count() - timers:,} SLA timers recomputed, "
          f"{time.perf_counter() - began:.0f} s in all, ends {end:%Y-%m-%d %H:%M}, "
          f"load {_load()}")  # fmt: skip
    return end


if __name__ == "__main__":
    main()
