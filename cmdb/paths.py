"""Shortest paths between two sets of CIs in the relationship graph, to a depth: which of the
`targets` are within `depth` hops of any of the `sources`, and the path that connects each.

Change collisions ask it (the CIs of the other changes in the window are the targets), so the
targets are known in advance and few. The search grows two balls, one around the sources and
one around each target, one level at a time, always the side whose frontier is smaller, until
their radii add up to the depth or a side has nothing left to reach: a target is within the
depth exactly when its ball meets the sources' ball, and the meeting node with the smallest sum
of distances gives its shortest path. A core switch thus costs the few levels the smaller side
needs, not the walk of the whole estate it carries.

One query per level on either side (an index scan led by the end it comes from: the unique
(source, target, type) index or `cmdb_rel_target_idx`), one more for the relationships along the
paths found. PostgreSQL gets the frontier as one array literal (`= ANY(%s::bigint[])`), other
databases as IN lists of bounded size.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from cmdb.choices import REVERSE_LABELS, Direction, RelationshipType
from cmdb.models import ConfigurationItem, Relationship
from servicedesk.sqlarrays import id_array

MAX_DEPTH = 10
_CHUNK = 900  # ids per IN list off PostgreSQL (SQLite's variable limit is far above)

# (column we come from, column we go to). Downstream from a CI follows target -> source (what
# needs it); its reverse is upstream.
_DOWN = ("target_id", "source_id")
_UP = ("source_id", "target_id")


@dataclass(frozen=True)
class Hop:
    """One step of a path, read from `start` to `end`: "start <label> end"."""

    start_id: int
    end_id: int
    type: str
    forward: bool  # the relationship reads "start <type> end" (else "end <type> start")

    @property
    def label(self) -> str:
        kind = RelationshipType(self.type)
        return str(kind.label if self.forward else REVERSE_LABELS[kind])


@dataclass
class Path:
    """How a source reaches a target: the CIs in order (source first) and a hop between each."""

    nodes: list[int]
    hops: list[Hop]

    @property
    def source_id(self) -> int:
        return self.nodes[0]

    @property
    def target_id(self) -> int:
        return self.nodes[-1]

    @property
    def length(self) -> int:
        return len(self.nodes) - 1


def _ends(direction: str | None, *, backwards: bool) -> tuple[tuple[str, str], ...]:
    if direction is None:
        return (_DOWN, _UP)
    forward = _DOWN if Direction(direction) == Direction.DOWNSTREAM else _UP
    if backwards:
        return (_UP,) if forward == _DOWN else (_DOWN,)
    return (forward,)


def _neighbours(frontier: list[int], ends: tuple[tuple[str, str], ...]) -> list[tuple[int, int]]:
    """The (node, neighbour) pairs one hop from `frontier` along `ends`."""
    table = Relationship._meta.db_table
    pairs: list[tuple[int, int]] = []
    with connection.cursor() as cursor:
        for came_from, going_to in ends:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT {came_from}, {going_to} FROM {table}"  # noqa: S608 - our names
                    f" WHERE {came_from} = ANY(%s::bigint[])",
                    [id_array(frontier)],
                )
                pairs.extend(cursor.fetchall())
                continue
            for start in range(0, len(frontier), _CHUNK):
                chunk = frontier[start : start + _CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {came_from}, {going_to} FROM {table} WHERE {came_from} IN ({marks})",  # noqa: S608 - our names
                    chunk,
                )
                pairs.extend(cursor.fetchall())
    return pairs


def paths_to(
    *,
    sources: Iterable[int],
    targets: Iterable[int],
    depth: int,
    direction: str | None = None,
) -> dict[int, Path]:
    """For each target within `depth` hops of a source, its shortest path from a source.

    `direction` None follows relationships either way (two CIs connected in any sense);
    `Direction.DOWNSTREAM` only from a CI to what needs it (a change on a server reaches the
    business service running on it), `Direction.UPSTREAM` the other way. A target that is a
    source has a path of one node. Ties go to the lower CI id, so the answer is stable.
    """
    source_set, target_set = set(sources), set(targets)
    depth = max(0, min(int(depth), MAX_DEPTH))
    if not source_set or not target_set:
        return {}
    forward, backward = _ends(direction, backwards=False), _ends(direction, backwards=True)

    dist_s = dict.fromkeys(source_set, 0)
    parent_s: dict[int, int] = {}
    frontier_s = sorted(source_set)
    # Around the targets, one ball each: ball[node][target] = (distance, next node towards it).
    ball: dict[int, dict[int, tuple[int, int]]] = {t: {t: (0, t)} for t in target_set}
    frontier_t = [(t, t) for t in sorted(target_set)]
    radius_s = radius_t = 0
    while radius_s + radius_t < depth and frontier_s and frontier_t:
        if len(frontier_s) <= len({node for node, _t in frontier_t}):
            radius_s += 1
            reached: list[int] = []
            for node, neighbour in sorted(_neighbours(frontier_s, forward)):
                if neighbour not in dist_s:
                    dist_s[neighbour] = radius_s
                    parent_s[neighbour] = node
                    reached.append(neighbour)
            frontier_s = reached
        else:
            radius_t += 1
            by_node: dict[int, list[int]] = {}
            for node, target in frontier_t:
                by_node.setdefault(node, []).append(target)
            grown: list[tuple[int, int]] = []
            for node, neighbour in sorted(_neighbours(sorted(by_node), backward)):
                seen = ball.setdefault(neighbour, {})
                for target in by_node[node]:
                    if target not in seen:
                        seen[target] = (radius_t, node)
                        grown.append((neighbour, target))
            frontier_t = grown

    best: dict[int, tuple[int, int]] = {}  # target: (length, meeting node)
    for meeting in sorted(ball.keys() & dist_s.keys()):
        for target, (distance, _next) in ball[meeting].items():
            length = dist_s[meeting] + distance
            if length <= depth and (target not in best or length < best[target][0]):
                best[target] = (length, meeting)
    paths = {}
    for target, (_length, meeting) in best.items():
        nodes = [meeting]
        while nodes[-1] in parent_s:
            nodes.append(parent_s[nodes[-1]])
        nodes.reverse()
        node = meeting
        while node != target:
            node = ball[node][target][1]
            nodes.append(node)
        paths[target] = Path(nodes=nodes, hops=[])
    _fill_hops(paths.values())
    return paths


def _fill_hops(paths: Iterable[Path]) -> None:
    """The relationship behind each step of the paths, in one query."""
    paths = list(paths)
    steps = {(a, b) for path in paths for a, b in zip(path.nodes, path.nodes[1:], strict=False)}
    if not steps:
        return
    found: dict[tuple[int, int], Hop] = {}
    rows: Iterable[tuple[int, int, str]]
    if connection.vendor == "postgresql":
        # Both directions of every step as two arrays zipped by unnest: one index scan per
        # pair on the unique (source, target, type) index; a long OR of pairs costs far more
        # to build and to plan.
        ends = [(a, b) for a, b in steps] + [(b, a) for a, b in steps]
        table = Relationship._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT r.source_id, r.target_id, r.type FROM {table} r"  # noqa: S608 - our names
                " JOIN unnest(%s::bigint[], %s::bigint[]) AS step(a, b)"
                " ON r.source_id = step.a AND r.target_id = step.b ORDER BY r.type",
                [[a for a, _b in ends], [b for _a, b in ends]],
            )
            rows = cursor.fetchall()
    else:
        condition = Q()
        for a, b in steps:
            condition |= Q(source_id=a, target_id=b) | Q(source_id=b, target_id=a)
        rows = (
            Relationship.objects.filter(condition)
            .order_by("type")
            .values_list("source_id", "target_id", "type")
        )
    for source, target, kind in rows:
        found.setdefault((source, target), Hop(source, target, kind, forward=True))
        found.setdefault((target, source), Hop(target, source, kind, forward=False))
    for path in paths:
        path.hops = [found[(a, b)] for a, b in zip(path.nodes, path.nodes[1:], strict=False)]


def names_of(paths: Iterable[Path]) -> dict[int, ConfigurationItem]:
    """The CIs along the paths, in one query (with their classes), to show the paths."""
    ids = {pk for path in paths for pk in path.nodes}
    return ConfigurationItem.objects.select_related("ci_class").in_bulk(ids)
