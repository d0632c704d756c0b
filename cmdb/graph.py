"""Walking the relationship graph: what is downstream of a CI (what breaks if it fails) and what
is upstream (what it needs), to a depth.

On PostgreSQL and SQLite the walk is one recursive query (WITH RECURSIVE). Each step joins the
frontier to the relationship table through an index led by the end it comes from; UNION (not
UNION ALL) keeps each (CI, depth) pair once and the depth bound ends every walk, cycles included:
a CI is visited at most once per level. Other databases walk level by level in Python with one
indexed query per level. Both give the same answer: each CI reached with its shortest distance.
"""

from django.db import connection

from cmdb.choices import Direction
from cmdb.models import ConfigurationItem, Relationship

MAX_DEPTH = 10

# (column we come from, column we go to): downstream follows target -> source.
_ENDS = {Direction.DOWNSTREAM: ("target_id", "source_id"), Direction.UPSTREAM: ("source_id", "target_id")}  # fmt: skip


def _sql(direction: str) -> str:
    came_from, going_to = _ENDS[direction]
    rel = Relationship._meta.db_table
    return f"""
        WITH RECURSIVE walk(id, depth) AS (
            SELECT CAST(%s AS BIGINT), 0
          UNION
            SELECT r.{going_to}, w.depth + 1
            FROM walk w JOIN {rel} r ON r.{came_from} = w.id
            WHERE w.depth < %s
        )
        SELECT id, MIN(depth) FROM walk GROUP BY id
    """  # noqa: S608 - table and column names are ours, values are parameters


def walk_sql(direction: str) -> str:
    """The walk's SQL (for EXPLAIN in the benchmark): parameters are (CI id, depth)."""
    return _sql(Direction(direction))


def walk(*, ci_id: int, direction: str, depth: int) -> dict[int, tuple[int, bool]]:
    """Every CI reached from `ci_id` within `depth` hops: {id: (shortest distance, is business
    service)}. The CI itself is included at distance 0."""
    direction = Direction(direction)
    depth = max(0, min(int(depth), MAX_DEPTH))
    if connection.vendor in ("postgresql", "sqlite"):
        with connection.cursor() as cursor:
            cursor.execute(_sql(direction), [ci_id, depth])
            distance = dict(cursor.fetchall())
    else:
        distance = _distances_in_python(ci_id=ci_id, direction=direction, depth=depth)
    business = business_service_ids()
    return {pk: (d, pk in business) for pk, d in distance.items()}


def business_service_ids() -> set[int]:
    """Every CI of a business-service class: a few thousand at most, one indexed query. Asking
    this once is cheaper than looking up the class of each CI a large walk reaches."""
    return set(
        ConfigurationItem.objects.filter(ci_class__is_business_service=True).values_list(
            "pk", flat=True
        )
    )


def walk_in_python(*, ci_id: int, direction: str, depth: int) -> dict[int, tuple[int, bool]]:
    """The same walk, breadth first, one query per level (databases without recursive CTEs)."""
    distance = _distances_in_python(ci_id=ci_id, direction=direction, depth=depth)
    business = business_service_ids()
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
