"""Walking the relationship graph: what is downstream of a CI (what breaks if it fails) and what
is upstream (what it needs), to a depth.

On PostgreSQL the walk is breadth first, one query per level: the frontier goes to the database
as one array literal (`= ANY(%s::bigint[])`, see servicedesk/sqlarrays.py; an index scan led by
the end it comes from) and each CI is expanded once, at its shortest distance, so cycles end. On SQLite it is one recursive query (WITH
RECURSIVE; UNION keeps each (CI, depth) pair once and the depth bound ends every walk). The
recursive query was PostgreSQL's walk too, but it expands a CI once per level it is reached at:
from a core switch on which 70% of the estate depends, 400 ms against the levels' 160-290 ms.
Other databases walk level by level through the ORM. All give the same answer: each CI reached
with its shortest distance.
"""

import heapq
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from cmdb.choices import Direction
from cmdb.models import CIClass, ConfigurationItem, Relationship
from servicedesk.sqlarrays import id_array

MAX_DEPTH = 10


def default_depth() -> int:
    """The depth an impact walk takes unless told otherwise (setting `CMDB_IMPACT_DEPTH`): the
    impact page, the API and the impact proposed on an incident use this one number, so the page
    names the business services the proposal names."""
    return max(1, min(int(settings.CMDB_IMPACT_DEPTH), MAX_DEPTH))


WIDE_WALK = 5_000  # CIs reached beyond which the business flags are read the other way round

# (column we come from, column we go to): downstream follows target -> source.
_ENDS = {Direction.DOWNSTREAM: ("target_id", "source_id"), Direction.UPSTREAM: ("source_id", "target_id")}  # fmt: skip


def _sql(direction: str) -> str:
    came_from, going_to = _ENDS[direction]
    rel = Relationship._meta.db_table
    ci = ConfigurationItem._meta.db_table
    # The business-service flag rides along: the class ids are a parameter (a handful), so no
    # join to the class table.
    return f"""
        WITH RECURSIVE walk(id, depth) AS (
            SELECT CAST(%s AS BIGINT), 0
          UNION
            SELECT r.{going_to}, w.depth + 1
            FROM walk w JOIN {rel} r ON r.{came_from} = w.id
            WHERE w.depth < %s
        ),
        reached AS (SELECT id, MIN(depth) AS depth FROM walk GROUP BY id)
        SELECT reached.id, reached.depth, c.ci_class_id = ANY(%s)
        FROM reached JOIN {ci} c ON c.id = reached.id
    """  # noqa: S608 - table and column names are ours, values are parameters


def level_sql(direction: str) -> str:
    """One level of PostgreSQL's walk (for EXPLAIN in the benchmark): the parameter is the
    frontier, a list of CI ids."""
    came_from, going_to = _ENDS[Direction(direction)]
    rel = Relationship._meta.db_table
    return f"SELECT DISTINCT {going_to} FROM {rel} WHERE {came_from} = ANY(%s::bigint[])"  # noqa: S608


def walk(*, ci_id: int, direction: str, depth: int) -> dict[int, tuple[int, bool]]:
    """Every CI reached from `ci_id` within `depth` hops: {id: (shortest distance, is business
    service)}. The CI itself is included at distance 0."""
    direction = Direction(direction)
    depth = max(0, min(int(depth), MAX_DEPTH))
    if connection.vendor == "postgresql":
        return _walk_by_levels(ci_id=ci_id, direction=direction, depth=depth)
    if connection.vendor == "sqlite":
        business_classes = list(
            CIClass.objects.filter(is_business_service=True).values_list("pk", flat=True)
        )
        # No arrays in SQLite: the same test as an IN list of the (few) class ids.
        marks = ", ".join(["%s"] * len(business_classes)) or "NULL"
        sql = _sql(direction).replace("= ANY(%s)", f"IN ({marks})")
        params = [ci_id, depth, *business_classes]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {row[0]: (row[1], bool(row[2])) for row in cursor.fetchall()}
    return walk_in_python(ci_id=ci_id, direction=direction, depth=depth)


def _walk_by_levels(*, ci_id: int, direction: str, depth: int) -> dict[int, tuple[int, bool]]:
    """PostgreSQL: breadth first, one indexed query per level, then one for the business flags."""
    step, ci = level_sql(direction), ConfigurationItem._meta.db_table
    distance = {ci_id: 0}
    frontier = [ci_id]
    with connection.cursor() as cursor:
        for level in range(1, depth + 1):
            if not frontier:
                break
            cursor.execute(step, [id_array(frontier)])
            frontier = [row[0] for row in cursor.fetchall() if row[0] not in distance]
            distance.update(dict.fromkeys(frontier, level))
        # Which of them are business services: for a narrow walk, ask about its CIs; for a wide
        # one, read the business services (few beside what it reached) and intersect, rather
        # than send tens of thousands of ids back.
        flagged = f"SELECT c.id FROM {ci} c JOIN {CIClass._meta.db_table} k ON k.id = c.ci_class_id WHERE k.is_business_service"  # noqa: S608, E501
        if len(distance) <= WIDE_WALK:
            cursor.execute(flagged + " AND c.id = ANY(%s::bigint[])", [id_array(distance)])
        else:
            cursor.execute(flagged)
        business = {row[0] for row in cursor.fetchall()} & distance.keys()
    return {pk: (d, pk in business) for pk, d in distance.items()}


@dataclass(frozen=True)
class ImpactSummary:
    """What the impact selector shows of a walk: how many CIs it reached (the root included),
    the nearest `limit` (by distance, then id) and every business service reached (the root
    excluded), each as (id, distance)."""

    total: int
    nearest: list[tuple[int, int]]
    services: list[tuple[int, int]]


def impact_summary(*, ci_id: int, direction: str, depth: int, limit: int) -> ImpactSummary:
    """The walk from `ci_id` as the impact selector needs it. On PostgreSQL the whole walk runs
    in the database (`cmdb_impact`, migration cmdb 0006) and only this summary comes back: from a
    core switch that is 300 + a few hundred ids instead of 70,000 sent level by level to Python
    and back. Elsewhere it is computed from `walk`, with the same answer."""
    direction = Direction(direction)
    depth = max(0, min(int(depth), MAX_DEPTH))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT total, nearest, nearest_depths, services, service_depths"
                " FROM cmdb_impact(%s, %s, %s, %s)",
                [ci_id, direction == Direction.DOWNSTREAM, depth, limit],
            )
            total, nearest, nearest_depths, services, service_depths = cursor.fetchone()
        return ImpactSummary(
            total=total,
            nearest=list(zip(nearest, nearest_depths, strict=True)),
            services=list(zip(services, service_depths, strict=True)),
        )
    reached = walk(ci_id=ci_id, direction=direction, depth=depth)
    return ImpactSummary(
        total=len(reached),
        nearest=[(pk, reached[pk][0]) for pk in nearest_ids(reached, limit)],
        services=sorted(
            ((pk, d) for pk, (d, business) in reached.items() if business and pk != ci_id),
            key=lambda service: (service[1], service[0]),
        ),
    )


def nearest_ids(reached: dict[int, tuple[int, bool]], limit: int) -> list[int]:
    """The `limit` CIs nearest the root (by distance, then id), nearest first, without sorting
    all of a wide walk (70,000 CIs from a core switch): the levels below the one the limit falls
    in are taken whole, that level's smallest ids picked."""
    per_level = Counter(distance for distance, _business in reached.values())
    cutoff, taken = 0, 0
    for cutoff in sorted(per_level):
        if taken + per_level[cutoff] >= limit:
            break
        taken += per_level[cutoff]
    nearer = sorted((distance, pk) for pk, (distance, _b) in reached.items() if distance < cutoff)
    at_cutoff = heapq.nsmallest(
        limit - len(nearer), (pk for pk, (distance, _b) in reached.items() if distance == cutoff)
    )
    return [pk for _distance, pk in nearer][:limit] + at_cutoff


def walk_in_python(*, ci_id: int, direction: str, depth: int) -> dict[int, tuple[int, bool]]:
    """The same walk, breadth first, one query per level (databases without recursive CTEs)."""
    distance = _distances_in_python(ci_id=ci_id, direction=direction, depth=depth)
    business = set(
        ConfigurationItem.objects.filter(
            pk__in=distance, ci_class__is_business_service=True
        ).values_list("pk", flat=True)
    )
    return {pk: (d, pk in business) for pk, d in distance.items()}


def _distances_in_python(*, ci_id: int, direction: str, depth: int) -> dict[int, int]:
    came_from, going_to = _ENDS[Direction(direction)]
    distance = {ci_id: 0}
    frontier = {ci_id}
    for level in range(1, depth + 1):
        if not frontier:
            break
        reached = set(
            Relationship.objects.filter(**{f"{came_from}__in": frontier}).values_list(
                going_to, flat=True
            )
        )
        frontier = reached - distance.keys()
        for pk in frontier:
            distance[pk] = level
    return distance


def edges_between(ids) -> list[tuple[int, int, str]]:
    """The relationships whose two ends are both in `ids` (to draw the walked subgraph)."""
    ids = list(ids)
    return list(
        Relationship.objects.filter(source_id__in=ids, target_id__in=ids).values_list(
            "source_id", "target_id", "type"
        )
    )


def estimated_relationships() -> int:
    """About how many relationships there are: the planner's estimate on PostgreSQL (free),
    a count elsewhere (small databases)."""
    table = Relationship._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
        if row and row[0] >= 0:
            return int(row[0])
    return Relationship.objects.count()


def walk_distances_many(*, ci_ids, direction: str, depth: int) -> dict[int, dict[int, int]]:
    """`walk`'s distances from each of several CIs at once: {origin: {id: shortest distance}}.
    The walks go level by level together, one query per level for all of them (a storm's 500
    hosts: two or three queries, not three per host)."""
    direction = Direction(direction)
    depth = max(0, min(int(depth), MAX_DEPTH))
    origins = list(dict.fromkeys(ci_ids))
    came_from, going_to = _ENDS[direction]
    result = {ci: {ci: 0} for ci in origins}
    frontiers = {ci: [ci] for ci in origins}
    for level in range(1, depth + 1):
        nodes = {node for frontier in frontiers.values() for node in frontier}
        if not nodes:
            break
        edges: dict[int, list[int]] = {}
        for start, end in _steps(came_from, going_to, list(nodes)):
            edges.setdefault(start, []).append(end)
        for origin, frontier in frontiers.items():
            seen, following = result[origin], []
            for node in frontier:
                for reached in edges.get(node, ()):
                    if reached not in seen:
                        seen[reached] = level
                        following.append(reached)
            frontiers[origin] = following
    return result


# SQLite's limit on a statement's parameters is 999 in older builds: a level's ids in chunks.
_SQLITE_CHUNK = 900


def _steps(came_from: str, going_to: str, nodes: list[int]) -> list[tuple[int, int]]:
    """The relationships one step from any of `nodes`: (from, to) pairs, each once."""
    if connection.vendor == "postgresql":
        rel = Relationship._meta.db_table
        step = f"SELECT DISTINCT {came_from}, {going_to} FROM {rel} WHERE {came_from} = ANY(%s::bigint[])"  # noqa: S608, E501
        with connection.cursor() as cursor:
            cursor.execute(step, [id_array(nodes)])
            return cursor.fetchall()
    pairs: list[tuple[int, int]] = []
    for i in range(0, len(nodes), _SQLITE_CHUNK):
        chunk = nodes[i : i + _SQLITE_CHUNK]
        rows = Relationship.objects.filter(**{f"{came_from}__in": chunk})
        pairs += rows.values_list(came_from, going_to).distinct()
    return pairs
