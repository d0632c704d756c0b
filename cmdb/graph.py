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

Impact analysis (`impact_summary`, what cmdb.selectors.impact_of shows) walks instead a copy of
the relationships kept in the process's memory (`RelationshipGraph`), loaded again after any
write to them (triggers of migration cmdb 0006 note every one): from a core switch, about 20 ms
of CPU against 200 for the queries level by level, on every database alike.
"""

import io
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import connection

from cmdb.choices import Direction
from cmdb.models import CIClass, ConfigurationItem, Relationship
from servicedesk.sqlarrays import id_array

MAX_DEPTH = 10
# The change log keeps a day (`prune_change_log`); a copy older than half that is loaded again
# whatever the log says, so that no copy can outlive the rows that would tell it is stale.
CHANGE_LOG_KEPT = timedelta(days=1)
COPY_MAX_AGE_SECONDS = CHANGE_LOG_KEPT.total_seconds() / 2


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
    """The walk from `ci_id` as the impact selector needs it, walked on this process's copy of
    the relationships (`RelationshipGraph`): from a core switch on which 70% of the estate
    depends that is about 20 ms of arrays instead of 200 ms of queries level by level. The same
    answer as `walk` (a test compares both with a plain breadth-first search)."""
    direction = Direction(direction)
    depth = max(0, min(int(depth), MAX_DEPTH))
    levels = relationship_graph().levels(ci_id=ci_id, direction=direction, depth=depth)
    nearest: list[tuple[int, int]] = []
    for distance, level in enumerate(levels):
        if len(nearest) >= limit:
            break
        nearest += [(pk, distance) for pk in level[: limit - len(nearest)].tolist()]
    business = _business_services_among(levels)
    services = [
        (pk, distance)
        for distance, level in enumerate(levels[1:], start=1)
        for pk in level[np.isin(level, business, assume_unique=True)].tolist()
    ]
    return ImpactSummary(total=sum(len(level) for level in levels), nearest=nearest,
                         services=services)  # fmt: skip


def _business_services_among(levels: list[np.ndarray]) -> np.ndarray:
    """The ids of the business services among the CIs reached, read now (a CI's class may have
    changed since the graph was loaded): for a narrow walk, ask about its CIs; for a wide one,
    read the business services (few beside what it reached)."""
    reached = np.concatenate(levels)
    ci, kind = ConfigurationItem._meta.db_table, CIClass._meta.db_table
    # The class ids first (a handful), so the CIs are an index scan of their class, not a join
    # that reads every CI.
    business = f"SELECT id FROM {kind} WHERE is_business_service"  # noqa: S608
    params: list = []
    if connection.vendor == "postgresql":
        flagged = f"SELECT id FROM {ci} WHERE ci_class_id = ANY(ARRAY({business}))"  # noqa: S608
        if len(reached) <= WIDE_WALK:
            flagged += " AND id = ANY(%s::bigint[])"
            params = [id_array(reached.tolist())]
    else:
        flagged = f"SELECT id FROM {ci} WHERE ci_class_id IN ({business})"  # noqa: S608
        if len(reached) <= _SQLITE_CHUNK:
            flagged += f" AND id IN ({', '.join(['%s'] * len(reached))})"
            params = reached.tolist()
    with connection.cursor() as cursor:
        cursor.execute(flagged, params)
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)


class RelationshipGraph:
    """The relationships as two adjacency arrays (compressed sparse rows: for each CI, where its
    neighbours start in one flat array), one per direction, over the CIs that have any: 500,000
    relationships take about 10 MB. A walk is then a few array operations per level.

    Each process keeps one copy and loads it again once the relationships changed: the triggers
    of migration cmdb 0006 record every write, by whatever path (service, import, bulk_create,
    cascade, raw SQL, COPY), and `is_current()` asks about them, one indexed query per walk.
    Loading 500,000 relationships takes about 0.4 s of CPU, paid by the first walk in each
    process after a change."""

    def __init__(self, pairs: np.ndarray, stamp: tuple | None):
        self.stamp = stamp
        self.loaded_at = time.monotonic()
        # The CIs with relationships, sorted: a CI's position here is its row in the arrays,
        # so positions sort like ids.
        self.ids, dense = np.unique(pairs, return_inverse=True)
        dense = dense.reshape(-1, 2)
        sources, targets = dense[:, 0], dense[:, 1]
        # Downstream follows target -> source (the sources need the target); upstream the other way.
        self._adjacency = {
            Direction.DOWNSTREAM: self._rows(targets, sources),
            Direction.UPSTREAM: self._rows(sources, targets),
        }

    def _rows(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(starts, kind="stable")
        offsets = np.zeros(len(self.ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(starts, minlength=len(self.ids)), out=offsets[1:])
        return offsets, ends[order]

    def levels(self, *, ci_id: int, direction: str, depth: int) -> list[np.ndarray]:
        """The CIs at each distance from `ci_id` (level 0 is the CI itself), each level's ids
        sorted, each CI at its shortest distance only: breadth first, the CIs reached marked so
        that none is expanded twice and cycles end."""
        root = np.array([ci_id], dtype=np.int64)
        position = int(np.searchsorted(self.ids, ci_id))
        if position >= len(self.ids) or self.ids[position] != ci_id:
            return [root]  # no relationships
        offsets, neighbours = self._adjacency[Direction(direction)]
        seen = np.zeros(len(self.ids), dtype=bool)
        seen[position] = True
        frontier = np.array([position])
        levels = [root]
        for _level in range(depth):
            starts = offsets[frontier]
            counts = offsets[frontier + 1] - starts
            if not counts.any():
                break
            # Every neighbour of the frontier: each CI's slice of `neighbours`, end to end.
            ends = np.cumsum(counts)
            within = np.arange(ends[-1]) - np.repeat(ends - counts, counts)
            # Marked on a CI-sized array rather than deduplicated by sorting: linear, and the
            # positions come out sorted.
            fresh = np.zeros(len(self.ids), dtype=bool)
            fresh[neighbours[np.repeat(starts, counts) + within]] = True
            fresh &= ~seen
            frontier = np.flatnonzero(fresh)
            if not len(frontier):
                break
            seen |= fresh
            levels.append(self.ids[frontier])
        return levels

    # --- Loading and freshness ------------------------------------------------------------

    @classmethod
    def load(cls) -> "RelationshipGraph":
        """The relationships as they are now, with the stamp to tell later whether they
        changed: taken before the rows are read, so a write in between makes it look stale
        (one load too many), never fresh."""
        stamp = _change_stamp()
        table = Relationship._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY's text parsed at C speed: several times quicker than fetching tuples.
                text = io.StringIO()
                copy = f"COPY (SELECT source_id, target_id FROM {table}) TO STDOUT"  # noqa: S608
                cursor.copy_expert(copy, text)
                values = text.getvalue()
                pairs = (
                    np.fromstring(values, dtype=np.int64, sep=" ")
                    if values
                    else np.empty(0, dtype=np.int64)
                )
            else:
                cursor.execute(f"SELECT source_id, target_id FROM {table}")  # noqa: S608
                pairs = np.array(cursor.fetchall(), dtype=np.int64)
        return cls(pairs.reshape(-1, 2), stamp)

    def is_current(self) -> bool:
        if time.monotonic() - self.loaded_at > COPY_MAX_AGE_SECONDS:
            return False
        return self.stamp is not None and _unchanged_since(self.stamp)


_graphs: dict[str, RelationshipGraph] = {}
_graphs_lock = threading.Lock()


def relationship_graph() -> RelationshipGraph:
    """This process's copy of the relationships, loaded again when they changed."""
    key = connection.settings_dict["NAME"]
    graph = _graphs.get(key)
    if graph is not None and graph.is_current():
        return graph
    with _graphs_lock:
        graph = _graphs.get(key)
        if graph is None or not graph.is_current():
            graph = RelationshipGraph.load()
            if graph.stamp is not None:
                _graphs[key] = graph
    return graph


def _change_stamp() -> tuple | None:
    """What the change log says now; None when the graph must not be kept (this transaction has
    changed relationships it may yet roll back, or the database has no change log)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT coalesce(max(id), 0), txid_current_snapshot()::text,"
                " EXISTS (SELECT 1 FROM cmdb_graphchange WHERE txid = txid_current_if_assigned())"
                " FROM cmdb_graphchange"
            )
            last, snapshot, changed_here = cursor.fetchone()
            return None if changed_here else ("postgresql", last, snapshot)
        if connection.vendor == "sqlite":
            cursor.execute("SELECT version FROM cmdb_graphversion WHERE id = 1")
            row = cursor.fetchone()
            # SQLite's version is rolled back with the transaction that drew it: a copy loaded
            # inside one is simply stale afterwards.
            return ("sqlite", row[0]) if row else None
    return None


def prune_change_log(*, now) -> int:
    """Forget the log's rows older than `CHANGE_LOG_KEPT` but the newest (a copy compares the
    log's last id with its own). Returns how many were deleted; SQLite keeps no log."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM cmdb_graphchange WHERE changed_at < %s"
            " AND id < (SELECT max(id) FROM cmdb_graphchange)",
            [now - CHANGE_LOG_KEPT],
        )
        return cursor.rowcount


def _unchanged_since(stamp: tuple) -> bool:
    """No write to the relationships became visible since `stamp` was taken: none logged after
    it, and none by a transaction that was still running then (it may have committed since)."""
    with connection.cursor() as cursor:
        if stamp[0] == "postgresql":
            _vendor, last, snapshot = stamp
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM cmdb_graphchange WHERE id > %s)"
                " OR EXISTS (SELECT 1 FROM cmdb_graphchange"
                "  WHERE txid >= txid_snapshot_xmin(%s::txid_snapshot)"
                "  AND NOT txid_visible_in_snapshot(txid, %s::txid_snapshot))",
                [last, snapshot, snapshot],
            )
            return not cursor.fetchone()[0]
        cursor.execute("SELECT version FROM cmdb_graphversion WHERE id = 1")
        row = cursor.fetchone()
        return row is not None and ("sqlite", row[0]) == stamp


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
    if connection.vendor == "postgresql":
        rel = Relationship._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT source_id, target_id, type FROM {rel}"  # noqa: S608
                " WHERE source_id = ANY(%s::bigint[]) AND target_id = ANY(%s::bigint[])",
                [id_array(ids)] * 2,
            )
            return cursor.fetchall()
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
