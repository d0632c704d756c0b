"""Import speed: `python -m bench.imports --incidents 25000`.

Generates a ServiceNow-style incident export (one row per update, `?` nulls, d/m/yyyy HH:MM
dates; six updates an incident on average: New, Active, sometimes Awaiting User Info and
Active again, Resolved, Closed; a share still open) with known answers, times the import
service on it (`transfer.services.import_run`, all or nothing, unknown people and groups
created) and checks the answers: every incident written, its final status and its priority
from the matrix as the generator computed it. The records it writes stay (run it on a copy of
the bench database or on an empty one; it needs PostgreSQL).
"""

import argparse
import os
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import env

HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_at,contact_type,category,subcategory,impact,urgency,priority,"
    "assignment_group,assigned_to,closed_code,resolved_at,closed_at,sys_updated_at"
)
SCALE = ["1 - High", "2 - Medium", "3 - Low"]
# The seeded matrix, keyed by (impact rank, urgency rank).
PRIORITY = {(1, 1): 1, (1, 2): 2, (1, 3): 4, (2, 1): 2, (2, 2): 3, (2, 3): 5,
            (3, 1): 3, (3, 2): 4, (3, 3): 5}  # fmt: skip


def _when(moment: datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"


def generate(
    count: int, seed: int = 18, names: str = ""
) -> tuple[bytes, dict[str, tuple[str, int]]]:
    """The export and, per number, the final status and priority it must get. `names` starts
    every person's and group's name (a run of its own: they are all new to the desk)."""
    rng = random.Random(seed)
    lines, answers = [HEADER], {}
    start = datetime(2016, 2, 29, tzinfo=UTC)
    for n in range(count):
        number = f"INC{n + 1:07d}"
        opened = start + timedelta(minutes=7 * n)
        i, u = rng.randint(1, 3), rng.randint(1, 3)
        group = f"{names}Group {rng.randint(1, 80)}"
        caller = f"{names}Caller {rng.randint(1, 5000)}"
        resolver = f"{names}Resolver {rng.randint(1, 200)}"
        states = ["New", "Active", "Active"]
        if rng.random() < 0.5:
            states += ["Awaiting User Info", "Active"]
        open_now = rng.random() < 0.1
        if not open_now:
            states += ["Resolved", "Closed"]
        at = opened
        resolved = closed = "?"
        for seq, state in enumerate(states):
            at += timedelta(minutes=rng.randint(5, 600))
            if state == "Resolved":
                resolved = _when(at)
            if state == "Closed":
                closed = _when(at)
            assignee = "?" if state == "New" else resolver
            code = "code 5" if state in ("Resolved", "Closed") else "?"
            lines.append(
                f"{number},{state},true,0,0,{seq},true,{caller},{_when(opened)},Phone,"
                f"Category {rng.randint(1, 50)},?,{SCALE[i - 1]},{SCALE[u - 1]},?,{group},{assignee},"
                f"{code},{resolved},{closed},{_when(at)}"
            )
        final = {"New": "new", "Active": "in_progress", "Closed": "closed"}[states[-1]]
        answers[number] = (final, PRIORITY[(i, u)])
    return ("\n".join(lines) + "\n").encode(), answers


def _database_cpu() -> float:
    """CPU seconds the PostgreSQL server process of this connection has used (it runs on this
    machine): with the bench's own, what the import costs whatever the machine's load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=25_000)
    parser.add_argument("--sla", choices=("keep", "recompute"), default="keep")
    args = parser.parse_args(argv)
    env.configure(broker="memory://")
    env.require_postgresql()
    print(run_import(args.incidents, sla=args.sla))


def run_import(count: int, *, sla: str = "keep") -> str:
    """Import a generated export of `count` incidents through the import service (new people
    and groups created, SLA `keep` or `recompute`) and check its answers; the table row."""
    from accounts.models import User
    from incidents.models import Incident
    from servicedesk.models import ExternalKey
    from transfer import services

    source = f"bench{int(time.time())}"
    data, answers = generate(count, names=f"{source} ")
    rows = data.count(b"\n") - 1
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-imports@bench.example", "bench-imports", full_name="Bench imports"
    )
    job = services.import_job_create(
        actor=admin, data=data, file_name="bench.csv", format="servicenow",
        create_missing=True, dry_run=False, batch_size=5000, sla_mode=sla,
    )  # fmt: skip
    services.ImportMapping.objects.filter(name=source).delete()
    mapping = services.ImportMapping.objects.create(name=source, format="servicenow", source=source)
    job.mapping = mapping
    job.save(update_fields=["mapping"])
    database = _database_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    job = services.import_run(job_id=job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database = _database_cpu() - database
    keys = dict(ExternalKey.objects.filter(source=source).values_list("object_id", "value"))
    got = {
        keys[pk]: (status, priority)
        for pk, status, priority in Incident.objects.filter(pk__in=keys).values_list(
            "pk", "status", "priority"
        )
    }
    wrong = sum(1 for number, answer in answers.items() if got.get(number) != answer)
    return (f"| import | {count:,} incidents | {rows:,} rows | {seconds:.1f} s | "
            f"{rows / seconds:,.0f} rows/s | {job.records_written:,} written | {job.errors} errors | "
            f"{wrong} wrong answers | CPU {cpu:.1f} s here + {database:.1f} s PostgreSQL | "
            f"SLA {sla} | peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB | "
            f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())} |")  # fmt: skip


if __name__ == "__main__":
    main()
