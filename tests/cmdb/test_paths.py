"""Paths between CI sets: the meet-in-the-middle search finds exactly the targets a plain
breadth-first search finds within the depth, with paths of the shortest length made of real
relationships; either way or one direction; labels read from the path's side."""

import random
from collections import deque

import pytest

from cmdb.choices import Direction
from cmdb.models import Relationship
from cmdb.paths import paths_to
from tests.cmdb.factories import bulk_graph

pytestmark = pytest.mark.django_db


def shortest(edges, sources, *, direction):
    """Plain BFS distances from the sources over (source, target) edges."""
    step: dict[int, set[int]] = {}
    for source, target in edges:
        if direction in (None, Direction.DOWNSTREAM):
            step.setdefault(target, set()).add(source)
        if direction in (None, Direction.UPSTREAM):
            step.setdefault(source, set()).add(target)
    distance = dict.fromkeys(sources, 0)
    queue = deque(sources)
    while queue:
        node = queue.popleft()
        for nxt in step.get(node, ()):
            if nxt not in distance:
                distance[nxt] = distance[node] + 1
                queue.append(nxt)
    return distance


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("direction", [None, Direction.DOWNSTREAM, Direction.UPSTREAM])
def test_the_search_agrees_with_a_plain_breadth_first_search(seed, direction):
    rng = random.Random(seed)
    names = [f"n{i}" for i in range(40)]
    edges = set()
    while len(edges) < 70:
        a, b = rng.sample(names, 2)
        edges.add((a, b))
    items = bulk_graph(sorted(edges))
    ids = [ci.pk for ci in items.values()]
    pairs = list(Relationship.objects.values_list("source_id", "target_id"))
    sources = rng.sample(ids, rng.randint(1, 3))
    targets = rng.sample(ids, rng.randint(1, 8))
    depth = rng.randint(0, 5)

    found = paths_to(sources=sources, targets=targets, depth=depth, direction=direction)

    distance = shortest(pairs, sources, direction=direction)
    expected = {t for t in targets if t in distance and distance[t] <= depth}
    assert set(found) == expected
    edge_set = set(pairs)
    for target, path in found.items():
        assert path.source_id in sources and path.target_id == target
        assert path.length == distance[target]
        assert len(set(path.nodes)) == len(path.nodes)
        for hop, (a, b) in zip(
            path.hops, zip(path.nodes, path.nodes[1:], strict=False), strict=True
        ):
            assert (hop.start_id, hop.end_id) == (a, b)
            assert ((a, b) if hop.forward else (b, a)) in edge_set
            if direction == Direction.DOWNSTREAM:
                assert not hop.forward  # each step goes to what needs the CI before it


def test_a_path_reads_from_its_source_with_the_reverse_labels():
    # the database runs on the server, the server depends on the storage
    items = bulk_graph([("db", "server"), ("server", "storage")])
    Relationship.objects.filter(source=items["db"]).update(type="runs_on")

    path = paths_to(sources=[items["storage"].pk], targets=[items["db"].pk], depth=2)[
        items["db"].pk
    ]

    assert path.nodes == [items["storage"].pk, items["server"].pk, items["db"].pk]
    assert [hop.label for hop in path.hops] == ["used by", "hosts"]


def test_targets_beyond_the_depth_or_unconnected_are_not_found():
    items = bulk_graph([("a", "b"), ("b", "c"), ("c", "d"), ("x", "y")])
    found = paths_to(
        sources=[items["a"].pk],
        targets=[items["c"].pk, items["d"].pk, items["y"].pk, items["a"].pk],
        depth=2,
    )
    assert set(found) == {items["c"].pk, items["a"].pk}
    assert found[items["a"].pk].nodes == [items["a"].pk]
    assert paths_to(sources=[], targets=[items["a"].pk], depth=3) == {}
