"""Impact analysis on a large CMDB: `python -m bench.cmdb_impact`.

Generates (COPY) a layered graph of 100,000 CIs and 500,000 relationships: business and
technical services -> applications -> databases and virtual machines -> servers -> storage and
network (access -> distribution -> core), with application-to-application links and server
clusters that make cycles. Then times, for depths 1 to 5, the recursive walk alone and the whole
impact selector (walk, the nearest 300 CIs, the edges among them, the business services) on CIs
drawn at random, downstream and upstream, and prints p50/p95 with the plan of one walk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_cmdb_bench python -m bench.cmdb_impact
    python -m bench.cmdb_impact --keep        # measure the graph already loaded
    python -m bench.cmdb_impact --keep --core --rounds 5   # only the 5 core network devices

Beside wall time, the core rows give the CPU time per impact selector: this process's and its
PostgreSQL backend's (read from /proc when the server runs on this machine), so runs on a loaded
machine compare.

The database must be a scratch one (its name contains "bench"): the CMDB tables are emptied.
"""

import argparse
import io
import os
import random
import statistics
import time

from bench import cpu, env

# class code: how many CIs
LAYERS = {
    "business_service": 2_000,
    "technical_service": 3_000,
    "application": 15_000,
    "database": 10_000,
    "virtual_machine": 40_000,
    "server": 20_000,
    "storage": 4_000,
    "network_device": 6_000,  # 5,000 access, 900 distribution, 100 core
}
# (source class, target class, relationships per source, type): the source needs the target.
LINKS = [
    ("business_service", "application", 4, "depends_on"),
    ("business_service", "technical_service", 2, "depends_on"),
    ("technical_service", "application", 3, "depends_on"),
    ("application", "database", 2, "depends_on"),
    ("application", "virtual_machine", 3, "runs_on"),
    ("application", "application", 2, "depends_on"),  # cycles among applications
    ("database", "virtual_machine", 2, "runs_on"),
    ("database", "storage", 1, "depends_on"),
    ("virtual_machine", "server", 2, "runs_on"),
    ("virtual_machine", "storage", 1, "depends_on"),
    ("server", "server", 2, "part_of"),  # clusters: cycles
    ("server", "storage", 3, "depends_on"),
    ("server", "access", 4, "connected_to"),
    ("storage", "access", 3, "connected_to"),
    ("access", "distribution", 2, "connected_to"),
    ("distribution", "core", 2, "connected_to"),
]
TOTAL_RELATIONSHIPS = 500_000
SAMPLES = 200
DEPTHS = (1, 2, 3, 4, 5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="measure the graph already loaded")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument(
        "--core", action="store_true", help="measure only the 5 core network devices, per depth"
    )
    parser.add_argument("--rounds", type=int, default=3, help="walks per core device and depth")
    args = parser.parse_args(argv)
    env.configure()
    env.prepare_database()
    if "bench" not in env.database_name():
        raise SystemExit("Use a scratch database whose name contains 'bench'.")
    if not args.keep:
        started = time.perf_counter()
        cis, relationships = generate()
        print(f"generated {cis:,} CIs and {relationships:,} relationships "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    if args.core:
        measure_core(rounds=args.rounds)
    else:
        measure(samples=args.samples)


def generate(seed: int = 20261123) -> tuple[int, int]:
    from django.db import connection
    from django.utils import timezone

    from cmdb.defaults import seed_classes
    from cmdb.models import AttributeDefinition, CIClass

    rng = random.Random(seed)
    classes = seed_classes(CIClass, AttributeDefinition)
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cmdb_relationship, cmdb_impactproposal, cmdb_baselineitem, "
            "cmdb_configurationitem RESTART IDENTITY CASCADE"
        )
    ids: dict[str, list[int]] = {}
    buffer = io.StringIO()
    next_id = 1
    for code, count in LAYERS.items():
        members = list(range(next_id, next_id + count))
        next_id += count
        if code == "network_device":
            ids["access"], ids["distribution"], ids["core"] = (
                members[:5000],
                members[5000:5900],
                members[5900:],
            )
        ids[code] = members
        for pk in members:
            criticality = rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
            buffer.write(
                f"{pk}\t{code.upper()}-{pk:06d}\t{classes[code].pk}\t\tlive\t{criticality}\t"
                f"production\t{{}}\tt\t{now}\t{now}\t1\n"
            )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY cmdb_configurationitem (id, name, ci_class_id, description, status, "
            "criticality, environment, attributes, is_active, created_at, updated_at, version) "
            "FROM STDIN",
            buffer,
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cmdb_configurationitem', 'id'), %s)",
            [next_id],
        )
    edges: set[tuple[int, int, str]] = set()
    for source_class, target_class, per_source, kind in LINKS:
        targets = ids[target_class]
        for source in ids[source_class]:
            for target in rng.sample(targets, per_source):
                if target != source:
                    edges.add((source, target, kind))
    edges_list = sorted(edges)
    rng.shuffle(edges_list)
    # Top up with random application and VM dependencies to the round figure.
    pool = ids["application"] + ids["virtual_machine"] + ids["database"]
    while len(edges_list) < TOTAL_RELATIONSHIPS:
        source, target = rng.choice(pool), rng.choice(ids["server"] + ids["storage"])
        if (source, target, "depends_on") not in edges:
            edges.add((source, target, "depends_on"))
            edges_list.append((source, target, "depends_on"))
    edges_list = edges_list[:TOTAL_RELATIONSHIPS]
    buffer = io.StringIO()
    for source, target, kind in edges_list:
        buffer.write(f"{source}\t{kind}\t{target}\t{now}\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY cmdb_relationship (source_id, type, target_id, created_at) FROM STDIN", buffer
        )
    # VACUUM sets the visibility map, so one hop is an index-only scan as in a settled database.
    connection.ensure_connection()
    autocommit = connection.connection.autocommit
    connection.connection.autocommit = True
    with connection.connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cmdb_configurationitem")
        cursor.execute("VACUUM ANALYZE cmdb_relationship")
    connection.connection.autocommit = autocommit
    return next_id - 1, len(edges_list)


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(*, samples: int) -> None:
    from django.db import connection

    from cmdb import graph
    from cmdb.models import ConfigurationItem
    from cmdb.selectors import impact_of
    from servicedesk.sqlarrays import id_array

    rng = random.Random(7)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cmdb_configurationitem")
        cis = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cmdb_relationship")
        relationships = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM cmdb_configurationitem")
        all_ids = [row[0] for row in cursor.fetchall()]
    print(f"\n{cis:,} CIs, {relationships:,} relationships ({env.describe_database()})")
    print(f"{samples} CIs drawn at random per row (every class, in proportion to its size); "
          f"times in ms, server side, warm cache.\n")  # fmt: skip
    print(
        "| Direction | Depth | CIs reached p50 | p95 | Walk p50 ms | p95 | Impact selector p50 ms | p95 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    chosen = rng.sample(all_ids, samples)
    items = ConfigurationItem.objects.select_related("ci_class").in_bulk(chosen)
    for direction in ("downstream", "upstream"):
        for depth in DEPTHS:
            walk_ms, full_ms, sizes = [], [], []
            for pk in chosen:
                began = time.perf_counter()
                reached = graph.walk(ci_id=pk, direction=direction, depth=depth)
                walk_ms.append((time.perf_counter() - began) * 1000)
                sizes.append(len(reached) - 1)
                began = time.perf_counter()
                impact_of(ci=items[pk], direction=direction, depth=depth)
                full_ms.append((time.perf_counter() - began) * 1000)
            print(
                f"| {direction} | {depth} | {statistics.median(sizes):,.0f} | "
                f"{_percentile(sizes, 0.95):,} | {statistics.median(walk_ms):.1f} | "
                f"{_percentile(walk_ms, 0.95):.1f} | {statistics.median(full_ms):.1f} | "
                f"{_percentile(full_ms, 0.95):.1f} |"
            )
    _by_class(items=items, chosen=chosen)
    sample = next(pk for pk in chosen if items[pk].ci_class.code == "server")
    # The widest level of that walk: the frontier the last step expands.
    levels = graph.walk(ci_id=sample, direction="downstream", depth=5)
    frontier = [pk for pk, (distance, _) in levels.items() if distance == 4] or [sample]
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + graph.level_sql("downstream"), [id_array(frontier)]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(
        f"\nPlan of the last level of a downstream walk at depth 5 from a server (id {sample}, "
        f"{len(frontier)} CIs in the frontier):\n```\n{plan}\n```"
    )


def _core_devices() -> list[int]:
    """The last 5 core network devices: each has about 70% of the estate downstream."""
    from cmdb.models import ConfigurationItem

    return list(ConfigurationItem.objects.filter(name__startswith="NETWORK_DEVICE-")
                .order_by("-id").values_list("id", flat=True)[:5])  # fmt: skip


def _backend_cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of the PostgreSQL backend serving this connection (0 when the
    server is not on this machine)."""
    return 0.0 if pid is None else cpu.cpu_seconds(pid)


def measure_core(*, rounds: int) -> None:
    """Walk and impact selector from the 5 core devices, downstream, for each depth: wall time
    p50/p95 and the CPU time per selector (this process + its database backend)."""
    from django.db import connection

    from cmdb import graph
    from cmdb.models import ConfigurationItem
    from cmdb.selectors import impact_of

    core = _core_devices()
    items = ConfigurationItem.objects.select_related("ci_class").in_bulk(core)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    if not os.path.exists(f"/proc/{backend}"):
        backend = None
    print(f"\nDownstream from the 5 core network devices ({env.describe_database()}), "
          f"{rounds} walks per device and depth; load average {_load()}.\n")  # fmt: skip
    print("| Depth | CIs reached p50 | Walk p50 ms | p95 | Impact selector p50 ms | p95 | "
          "Selector CPU p50 ms (client + database) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for depth in DEPTHS:
        impact_of(ci=items[core[0]], direction="downstream", depth=depth)  # warm up
        walk_ms, full_ms, cpu_ms, sizes = [], [], [], []
        for _round in range(rounds):
            for pk in core:
                began = time.perf_counter()
                sizes.append(len(graph.walk(ci_id=pk, direction="downstream", depth=depth)) - 1)
                walk_ms.append((time.perf_counter() - began) * 1000)
                cpu_began = time.process_time() + _backend_cpu_seconds(backend)
                began = time.perf_counter()
                impact_of(ci=items[pk], direction="downstream", depth=depth)
                full_ms.append((time.perf_counter() - began) * 1000)
                cpu = time.process_time() + _backend_cpu_seconds(backend) - cpu_began
                cpu_ms.append(cpu * 1000)
        print(
            f"| {depth} | {statistics.median(sizes):,.0f} | {statistics.median(walk_ms):.1f} | "
            f"{_percentile(walk_ms, 0.95):.1f} | {statistics.median(full_ms):.1f} | "
            f"{_percentile(full_ms, 0.95):.1f} | {statistics.median(cpu_ms):.0f} |"
        )
    print(f"\nload average at the end: {_load()}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _by_class(*, items, chosen) -> None:
    """Downstream at depth 5 by class: the bottom layers reach the most."""
    from cmdb import graph

    print("\nDownstream, depth 5, by class of the CI analysed:\n")
    print("| Class | CIs sampled | CIs reached p50 | max | Walk p50 ms | max |")
    print("|---|---:|---:|---:|---:|---:|")
    by_class: dict[str, list[int]] = {}
    for pk in chosen:
        by_class.setdefault(items[pk].ci_class.name, []).append(pk)
    by_class["Network device (core)"] = _core_devices()
    for name, pks in sorted(by_class.items()):
        times, sizes = [], []
        for pk in pks:
            began = time.perf_counter()
            sizes.append(len(graph.walk(ci_id=pk, direction="downstream", depth=5)) - 1)
            times.append((time.perf_counter() - began) * 1000)
        print(f"| {name} | {len(pks)} | {statistics.median(sizes):,.0f} | {max(sizes):,} | "
              f"{statistics.median(times):.1f} | {max(times):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
