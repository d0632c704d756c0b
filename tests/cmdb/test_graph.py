"""Impact traversal: shortest distances, direction, depth limits, cycles; the recursive query
and the pure-Python walk agree."""

import random

import pytest
from django.db import connection

from cmdb.graph import walk, walk_in_python
from cmdb.models import ConfigurationItem, Relationship
from cmdb.selectors import impact_of
from tests.cmdb.factories import bulk_graph, ci_class, make_ci, relate

pytestmark = pytest.mark.django_db


def distances(result):
    return {pk: depth for pk, (depth, _business) in result.items()}


def named(items, result):
    by_id = {ci.pk: name for name, ci in items.items()}
    return {by_id[pk]: d for pk, d in distances(result).items()}


@pytest.fixture
def chain_with_cycle():
    # app -> vm -> host -> san ; host <-> host2 (a cycle) ; host2 -> switch ; switch -> host (cycle)
    return bulk_graph(
        [
            ("app", "vm"),
            ("vm", "host"),
            ("host", "san"),
            ("host", "host2"),
            ("host2", "host"),
            ("host2", "switch"),
            ("switch", "host"),
        ]  # fmt: skip
    )


def test_downstream_walk_finds_every_dependent_with_its_shortest_distance(chain_with_cycle):
    items = chain_with_cycle
    result = walk(ci_id=items["san"].pk, direction="downstream", depth=10)
    assert named(items, result) == {
        "san": 0, "host": 1, "vm": 2, "host2": 2, "switch": 2, "app": 3,
    }  # fmt: skip


def test_upstream_walk_follows_the_other_way_and_ends_despite_cycles(chain_with_cycle):
    items = chain_with_cycle
    result = walk(ci_id=items["app"].pk, direction="upstream", depth=10)
    assert named(items, result) == {
        "app": 0, "vm": 1, "host": 2, "san": 3, "host2": 3, "switch": 4,
    }  # fmt: skip


@pytest.mark.parametrize(("depth", "expected"), [
    (0, {"san"}), (1, {"san", "host"}), (2, {"san", "host", "vm", "host2", "switch"}),
])  # fmt: skip
def test_the_depth_bounds_the_walk(chain_with_cycle, depth, expected):
    items = chain_with_cycle
    result = walk(ci_id=items["san"].pk, direction="downstream", depth=depth)
    assert set(named(items, result)) == expected


def test_a_pure_cycle_ends_at_any_depth():
    items = bulk_graph([("a", "b"), ("b", "c"), ("c", "a")])
    result = walk(ci_id=items["a"].pk, direction="downstream", depth=10)
    assert named(items, result) == {"a": 0, "c": 1, "b": 2}


def test_the_recursive_query_and_the_python_walk_agree_on_a_random_cyclic_graph():
    rng = random.Random(7)
    names = [f"n{i}" for i in range(80)]
    edges = {(rng.choice(names), rng.choice(names)) for _ in range(320)}
    edges = [(s, t) for s, t in edges if s != t]
    items = bulk_graph(edges)
    for name in rng.sample(sorted(items), 10):
        for direction in ("downstream", "upstream"):
            for depth in (1, 3, 6):
                pk = items[name].pk
                assert walk(ci_id=pk, direction=direction, depth=depth) == walk_in_python(
                    ci_id=pk, direction=direction, depth=depth
                )


def test_impact_reports_the_business_services_reached_most_critical_first():
    server = make_ci("SRV-1")
    app = make_ci("APP-1", "application")
    erp = make_ci("BS ERP", "business_service", criticality=4)
    mail = make_ci("BS Mail", "business_service", criticality=2)
    relate(app, server, "runs_on")
    relate(erp, app)
    relate(mail, app)
    relate(mail, erp)  # a second path to mail and a service depending on a service

    impact = impact_of(ci=server, direction="downstream", depth=5)

    assert impact.total == 3
    assert [(s.ci.name, s.depth) for s in impact.services] == [("BS ERP", 2), ("BS Mail", 2)]
    assert {(e[0], e[1]) for e in impact.edges} == {
        (app.pk, server.pk), (erp.pk, app.pk), (mail.pk, app.pk), (mail.pk, erp.pk)
    }  # fmt: skip
    assert impact_of(ci=server, direction="downstream", depth=1).services == []


def test_impact_caps_the_nodes_it_returns_but_counts_all():
    hub = make_ci("HUB")
    cls = ci_class("server")
    ConfigurationItem.objects.bulk_create(
        [ConfigurationItem(name=f"D{i}", ci_class=cls) for i in range(30)]
    )
    Relationship.objects.bulk_create(
        [Relationship(source=ci, target=hub, type="runs_on")
         for ci in ConfigurationItem.objects.filter(name__startswith="D")]
    )  # fmt: skip
    impact = impact_of(ci=hub, depth=2, limit=10)
    assert impact.total == 30
    assert len(impact.nodes) == 10 and impact.truncated
    assert impact.nodes[0].ci == hub


@pytest.mark.parametrize("direction", ["upstream", "downstream"])
@pytest.mark.parametrize("depth", [1, 2, 5])
def test_walking_from_several_cis_at_once_gives_each_walk_s_distances(
    chain_with_cycle, direction, depth
):
    from cmdb.graph import walk_distances_many

    origins = [ci.pk for ci in chain_with_cycle.values()]
    together = walk_distances_many(ci_ids=origins, direction=direction, depth=depth)
    assert together == {
        pk: distances(walk(ci_id=pk, direction=direction, depth=depth)) for pk in origins
    }


# --- The impact summary against a plain breadth-first search ----------------------------------


def plain_bfs(edges, root, direction, depth):
    """Shortest distances from `root` within `depth` hops, the obvious way: downstream follows
    target -> source (the sources need the target), upstream source -> target."""
    following: dict[int, list[int]] = {}
    for source, target in edges:
        start, end = (target, source) if direction == "downstream" else (source, target)
        following.setdefault(start, []).append(end)
    distance, frontier = {root: 0}, [root]
    for level in range(1, depth + 1):
        frontier = [
            end for start in frontier for end in following.get(start, ()) if end not in distance
        ]
        frontier = list(dict.fromkeys(frontier))
        distance.update(dict.fromkeys(frontier, level))
    return distance


@pytest.fixture
def cyclic_graph_with_services():
    """120 CIs, about 500 random relationships (cycles, two-way pairs, hubs), one CI in eight a
    business service."""
    rng = random.Random(21)
    names = [f"n{i:03d}" for i in range(120)]
    pairs = {(rng.choice(names), rng.choice(names)) for _ in range(460)}
    pairs |= {(name, "n000") for name in names[1:40]}  # a hub most CIs reach
    pairs = {(s, t) for s, t in pairs if s != t}
    items = bulk_graph(sorted(pairs))
    business = [items[name].pk for name in names[::8] if name in items]
    ConfigurationItem.objects.filter(pk__in=business).update(ci_class=ci_class("business_service"))
    edges = [(items[s].pk, items[t].pk) for s, t in pairs]
    return items, edges, set(business)


def test_the_impact_summary_equals_a_plain_breadth_first_search(cyclic_graph_with_services):
    from cmdb.graph import impact_summary

    items, edges, business = cyclic_graph_with_services
    rng = random.Random(5)
    roots = [items["n000"].pk] + [items[name].pk for name in rng.sample(sorted(items), 8)]
    for root in roots:
        for direction in ("downstream", "upstream"):
            for depth in (0, 1, 2, 5, 10):
                expected = plain_bfs(edges, root, direction, depth)
                by_nearness = sorted(expected.items(), key=lambda item: (item[1], item[0]))
                services = sorted(
                    ((pk, d) for pk, d in expected.items() if pk in business and pk != root),
                    key=lambda item: (item[1], item[0]),
                )
                for limit in (0, 1, 7, 300):
                    summary = impact_summary(
                        ci_id=root, direction=direction, depth=depth, limit=limit
                    )
                    assert summary.total == len(expected)
                    assert summary.nearest == by_nearness[:limit]
                    assert sorted(summary.services, key=lambda s: (s[1], s[0])) == services


def test_the_impact_selector_shows_what_the_plain_search_reaches(cyclic_graph_with_services):
    items, edges, business = cyclic_graph_with_services
    hub = items["n000"]
    expected = plain_bfs(edges, hub.pk, "downstream", 3)
    nearest = sorted(expected.items(), key=lambda item: (item[1], item[0]))[:25]

    impact = impact_of(ci=hub, direction="downstream", depth=3, limit=25)

    assert impact.total == len(expected) - 1
    assert [(node.ci.pk, node.depth) for node in impact.nodes] == nearest
    shown = {pk for pk, _d in nearest}
    assert {(s, t) for s, t, _type in impact.edges} == {
        (s, t) for s, t in edges if s in shown and t in shown
    }
    assert {(s.ci.pk, s.depth) for s in impact.services} == {
        (pk, d) for pk, d in expected.items() if pk in business and pk != hub.pk
    }
    assert impact.truncated == (len(expected) > 25)


# --- The in-memory copy of the relationships follows every write -------------------------------


def reached_from(ci, direction="downstream", depth=5):
    from cmdb.graph import impact_summary

    summary = impact_summary(ci_id=ci.pk, direction=direction, depth=depth, limit=1000)
    return dict(summary.nearest)


def test_a_walk_sees_relationships_added_and_removed_since_the_last_one():
    items = bulk_graph([("app", "vm"), ("vm", "host")])
    host = items["host"]
    assert set(reached_from(host)) == {host.pk, items["vm"].pk, items["app"].pk}

    db = make_ci("DB-1")
    relate(db, host, "runs_on")  # through the service
    assert reached_from(host)[db.pk] == 1

    Relationship.objects.filter(source=items["vm"]).delete()  # in bulk
    assert set(reached_from(host)) == {host.pk, db.pk}

    Relationship.objects.bulk_create(  # no signal is sent: the database's trigger notes it
        [Relationship(source=items["app"], target=host, type="runs_on")]
    )
    assert reached_from(host)[items["app"].pk] == 1

    Relationship.objects.filter(source=db).update(target=items["vm"])
    assert db.pk not in reached_from(host)


def test_a_walk_forgets_relationships_whose_transaction_rolled_back():
    from django.db import transaction

    items = bulk_graph([("a", "b")])
    a, b = items["a"], items["b"]
    assert set(reached_from(b)) == {a.pk, b.pk}

    c = make_ci("c")
    with pytest.raises(RuntimeError), transaction.atomic():
        relate(c, b)
        assert reached_from(b)[c.pk] == 1  # its own write, seen inside the transaction
        raise RuntimeError
    assert set(reached_from(b)) == {a.pk, b.pk}


def test_a_class_that_becomes_a_business_service_is_reported_at_once():
    from cmdb.graph import impact_summary

    items = bulk_graph([("app", "host")])
    app, host = items["app"], items["host"]
    summary = impact_summary(ci_id=host.pk, direction="downstream", depth=2, limit=10)
    assert summary.services == []
    ConfigurationItem.objects.filter(pk=app.pk).update(ci_class=ci_class("business_service"))
    summary = impact_summary(ci_id=host.pk, direction="downstream", depth=2, limit=10)
    assert summary.services == [(app.pk, 1)]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers (SQLite has one; its version row is rolled back with them)",
)
@pytest.mark.django_db(transaction=True)
def test_each_process_keeps_its_copy_until_a_committed_write_changes_the_relationships():
    """Committed writes (a test's own transaction would hide them): the copy is kept while
    nothing changes, and a write by a transaction still running when it was loaded is seen
    once that transaction commits."""
    import threading

    from django.db import transaction

    from cmdb.graph import relationship_graph

    items = bulk_graph([("a", "b")])
    a, b = items["a"], items["b"]
    first = relationship_graph()
    assert relationship_graph() is first
    assert set(reached_from(b)) == {a.pk, b.pk}

    c = make_ci("c")
    written, loaded = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                Relationship.objects.create(source=c, target=b, type="depends_on")
                written.set()
                loaded.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    written.wait(30)
    # Another write commits meanwhile, logged after the running one: the copy loaded now has
    # it but not the running transaction's, which commits later with the older log entry.
    d = make_ci("d")
    relate(d, b)
    assert set(reached_from(b)) == {a.pk, b.pk, d.pk}
    loaded.set()
    writer.join(30)
    assert reached_from(b)[c.pk] == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        relate(a, c)
        raise RuntimeError
    kept = relationship_graph()
    assert set(reached_from(b)) == {a.pk, b.pk, c.pk, d.pk}
    assert relationship_graph() is kept


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no change log")
def test_the_change_log_forgets_rows_older_than_a_day_but_its_newest():
    from datetime import timedelta

    from django.utils import timezone

    from cmdb.graph import prune_change_log

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cmdb_graphchange")
        cursor.execute(
            "INSERT INTO cmdb_graphchange (txid, changed_at) VALUES"
            " (1, %s), (2, %s), (3, %s), (4, %s)",
            [now - timedelta(days=3), now - timedelta(days=2), now - timedelta(hours=1),
             now - timedelta(days=2)],
        )  # fmt: skip
        assert prune_change_log(now=now) == 2
        cursor.execute("SELECT txid FROM cmdb_graphchange ORDER BY id")
        # The last row stays however old: a copy tells a change by the log's last id.
        assert [row[0] for row in cursor.fetchall()] == [3, 4]


@pytest.mark.django_db(transaction=True)  # a copy loaded by a transaction that wrote is not kept
def test_a_copy_older_than_half_the_log_s_life_is_loaded_again(monkeypatch):
    import time

    from cmdb import graph

    bulk_graph([("a", "b")])
    first = graph.relationship_graph()
    assert graph.relationship_graph() is first
    later = time.monotonic() + graph.COPY_MAX_AGE_SECONDS + 1
    monkeypatch.setattr(graph.time, "monotonic", lambda: later)
    assert graph.relationship_graph() is not first
