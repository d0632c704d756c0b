"""Import speed: `python -m bench.imports --incidents 25000` (up to `--incidents 1000000`).

Generates a ServiceNow-style incident export (one row per update, `?` nulls, d/m/yyyy HH:MM
dates; six updates an incident on average: New, Active, sometimes Awaiting User Info and
Active again, Resolved, Closed; a share still open) with known answers, times the import
service on it (`transfer.services.import_run`, all or nothing, unknown people and groups
created) and checks the answers: every incident written, its final status and its priority
from the matrix as the generator computed it. The records it writes stay (run it on a copy of
the bench database or on an empty one; it needs PostgreSQL). The export is written to a
temporary file and the answers kept in two bytes an incident, so a million incidents fit; the
peak memory printed is the import's (the process's high-water mark, started again just before).
"""

import argparse
import contextlib
import gc
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
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


STATUSES = ("new", "in_progress", "closed")  # the answers' final statuses, by code


def _when(moment: datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"


def export_lines(count: int, answers: bytearray, seed: int = 18, names: str = "") -> Iterator[str]:
    """The export's lines, one incident's rows after another; `answers` gets, at 2n and 2n+1,
    the n-th incident's final status (its index in STATUSES) and priority. `names` starts every
    person's and group's name (a run of its own: they are all new to the desk)."""
    rng = random.Random(seed)
    yield HEADER
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
            yield (
                f"{number},{state},true,0,0,{seq},true,{caller},{_when(opened)},Phone,"
                f"Category {rng.randint(1, 50)},?,{SCALE[i - 1]},{SCALE[u - 1]},?,{group},{assignee},"
                f"{code},{resolved},{closed},{_when(at)}"
            )
        final = {"New": "new", "Active": "in_progress", "Closed": "closed"}[states[-1]]
        answers[2 * n], answers[2 * n + 1] = STATUSES.index(final), PRIORITY[(i, u)]


def generate(
    count: int, seed: int = 18, names: str = ""
) -> tuple[bytes, dict[str, tuple[str, int]]]:
    """The export in memory and, per number, the final status and priority it must get (for
    tests and small runs; the bench writes the export to a file)."""
    answers = bytearray(2 * count)
    data = ("\n".join(export_lines(count, answers, seed, names)) + "\n").encode()
    return data, {
        f"INC{n + 1:07d}": (STATUSES[answers[2 * n]], answers[2 * n + 1]) for n in range(count)
    }


def _database_cpu() -> float:
    """CPU seconds the PostgreSQL server process of this connection has used (it runs on this
    machine): with the bench's own, what the import costs whatever the machine's load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_reset() -> None:
    """Start this process's peak memory (VmHWM) again from what it holds now, so the figure
    is the import's and not the generator's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _wrong_answers(source: str, answers: bytearray) -> tuple[int, int]:
    """(incidents found, wrong answers): every imported incident's status and priority, read
    back through its external number, against the generator's."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from incidents.models import Incident

    content_type = ContentType.objects.get_for_model(Incident)
    found = wrong = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT k.value, i.status, i.priority FROM servicedesk_externalkey k "
            "JOIN incidents_incident i ON i.id = k.object_id "
            "WHERE k.source = %s AND k.content_type_id = %s",
            [source, content_type.pk],
        )
        for value, status, priority in cursor:
            n = int(value[3:]) - 1
            found += 1
            wrong += (STATUSES[answers[2 * n]], answers[2 * n + 1]) != (status, priority)
    return found, wrong


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=25_000)
    parser.add_argument("--sla", choices=("keep", "recompute"), default="keep")
    parser.add_argument("--batch", type=int, default=5000, help="records a chunk")
    args = parser.parse_args(argv)
    env.configure(broker="memory://")
    env.require_postgresql()
    print(run_import(args.incidents, sla=args.sla, batch=args.batch))


def run_import(count: int, *, sla: str = "keep", batch: int = 5000) -> str:
    """Import a generated export of `count` incidents through the import service (new people
    and groups created, SLA `keep` or `recompute`) and check its answers; the table row."""
    from accounts.models import User
    from transfer import services

    source = f"bench{int(time.time())}"
    answers = bytearray(2 * count)
    with tempfile.TemporaryFile(prefix="bench-import-") as export:
        rows = -1
        for line in export_lines(count, answers, names=f"{source} "):
            export.write(line.encode() + b"\n")
            rows += 1
        admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
            "bench-imports@bench.example", "bench-imports", full_name="Bench imports"
        )
        job = services.import_job_create(
            actor=admin, data=export, file_name="bench.csv", format="servicenow",
            create_missing=True, dry_run=False, batch_size=batch, sla_mode=sla,
        )  # fmt: skip
    services.ImportMapping.objects.filter(name=source).delete()
    mapping = services.ImportMapping.objects.create(name=source, format="servicenow", source=source)
    job.mapping = mapping
    job.save(update_fields=["mapping"])
    started = time.perf_counter()

    def progress(figures):
        if figures["records_done"] % (20 * batch) == 0:
            spent = time.perf_counter() - started
            print(f"  {figures['records_done']:,} records, {figures['rows_done']:,} rows in "
                  f"{spent:.0f} s, {figures['seconds_left']} s left, peak {_peak_mb():,} MB, "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)  # fmt: skip

    gc.collect()
    _peak_reset()
    database = _database_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    job = services.import_run(job_id=job.pk, on_batch=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database = _database_cpu() - database
    peak = _peak_mb()
    job.file.delete(save=False)  # a 1M export is over a gigabyte
    found, wrong = _wrong_answers(source, answers)
    wrong += count - found
    return (f"| import | {count:,} incidents | {rows:,} rows | {seconds:.1f} s | "
            f"{rows / seconds:,.0f} rows/s | {job.records_written:,} written | {job.errors} errors | "
            f"{wrong} wrong answers | CPU {cpu:.1f} s here + {database:.1f} s PostgreSQL | "
            f"SLA {sla} | peak memory {peak:,} MB | "
            f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())} |")  # fmt: skip


if __name__ == "__main__":
    main()
