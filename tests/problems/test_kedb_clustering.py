"""The candidate finder's pure core: what is recurring against the baseline, what belongs
together, what holds, and the explanation it gives."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from problems.kedb.clustering import Row, Settings, find_clusters, words_of

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def row(pk, title, *, requester=None, days_ago=1.0, ci=None, service=None, category=None):
    return Row(
        id=pk,
        title=title,
        requester_id=requester if requester is not None else pk,
        created_at=NOW - timedelta(days=days_ago),
        configuration_item=ci,
        service=service,
        category=category,
    )


def fan_cluster(start=1, n=5, ci=7, requesters=None):
    titles = [
        "Laptop fan grinds loudly after BIOS update",
        "Fan grinding noise since the BIOS update",
        "BIOS update made the fan grind",
    ]
    return [
        row(start + i, titles[i % 3], ci=ci, service=3, category=9, days_ago=1 + i * 0.3,
            requester=(requesters[i] if requesters else None))
        for i in range(n)
    ]  # fmt: skip


def test_title_words_leave_out_short_and_common_words():
    assert words_of("The VPN is not working since 9 o'clock!") == {"vpn", "clock"}


def test_a_planted_cluster_is_found_and_explained():
    window = fan_cluster() + [row(50, "Printer jams on every page", ci=8, service=3)]
    [cluster] = find_clusters(window, [], Settings())
    assert cluster.facet == "configuration_item"
    assert cluster.value == 7
    assert cluster.incident_ids == [1, 2, 3, 4, 5]
    assert {"bios", "fan", "update"} <= set(cluster.common_words)
    assert cluster.requesters == 5
    assert cluster.first_at == NOW - timedelta(days=2.2)
    assert cluster.last_at == NOW - timedelta(days=1)
    assert cluster.shared == {"configuration_item": 7, "service": 3, "category": 9}
    reasons = cluster.reasons()
    assert reasons["incidents"] == 5 and reasons["observed"] == 5


def test_an_unrelated_incident_on_the_same_ci_is_not_grouped():
    window = fan_cluster() + [row(60, "Keyboard keys not working", ci=7, service=3)]
    [cluster] = find_clusters(window, [], Settings())
    assert 60 not in cluster.incident_ids


def test_what_the_baseline_has_as_often_is_not_recurring():
    """Printer jams are the printer service's daily bread: five in a week is usual there."""
    jams = [row(i, "Printer jams on every page", service=4, days_ago=i % 7) for i in range(1, 6)]
    baseline = [
        row(100 + i, "Printer jams on every page", service=4, days_ago=8 + i * 1.1)
        for i in range(45)
    ]
    assert find_clusters(jams, baseline, Settings()) == []
    assert len(find_clusters(jams, [], Settings())) == 1


def test_too_few_people_is_no_cluster():
    window = fan_cluster(requesters=[1, 1, 1, 2, 2])
    assert find_clusters(window, [], Settings()) == []
    assert len(find_clusters(window, [], Settings(min_requesters=2))) == 1


def test_too_few_incidents_is_no_cluster():
    assert find_clusters(fan_cluster(n=3), [], Settings()) == []


def test_two_faults_on_one_service_are_two_clusters():
    mail = [
        row(10 + i, "Outlook shows a disconnected banner every hour", service=5, days_ago=i / 2)
        for i in range(5)
    ]
    bounce = [
        row(20 + i, "Invoices to customers bounce with error 550", service=5, days_ago=i / 2)
        for i in range(4)
    ]
    clusters = find_clusters(mail + bounce, [], Settings())
    assert sorted(len(c.incident_ids) for c in clusters) == [4, 5]
    assert all(c.facet == "service" for c in clusters)


def test_an_incident_joins_one_cluster_only_the_most_specific_facet_first():
    window = fan_cluster()
    clusters = find_clusters(window, [], Settings())
    assert [c.facet for c in clusters] == ["configuration_item"]


def test_the_fingerprint_stays_as_the_cluster_grows():
    small = find_clusters(fan_cluster(n=5), [], Settings())[0]
    grown = find_clusters(fan_cluster(n=8), [], Settings())[0]
    assert len(grown.incident_ids) == 8
    assert small.fingerprint == grown.fingerprint


def test_facets_an_administrator_turned_off_are_not_used():
    window = fan_cluster()
    clusters = find_clusters(window, [], Settings(facets=("service",)))
    assert [c.facet for c in clusters] == ["service"]


def test_a_count_the_baseline_makes_likely_is_chance_and_not_proposed():
    # Four incidents where one a week is usual: over three times the rate, but four or more
    # happen by chance about 2% of the time, above the 0.05% allowed by default.
    baseline = [
        row(100 + i, "Laptop fan grinds after BIOS update", ci=7, service=3, category=9,
            days_ago=8 + i * 7)
        for i in range(8)
    ]  # fmt: skip
    window = fan_cluster(n=4)
    assert find_clusters(window, baseline, Settings()) == []
    # Allowing more chance (as an administrator may) proposes it, and says how likely it was.
    [cluster] = find_clusters(window, baseline, Settings(max_chance=0.05))
    assert cluster.expected == 1.0
    assert 0.01 < cluster.chance < 0.03
    assert cluster.reasons()["chance"] == float(f"{cluster.chance:.2g}")
    # Four where the baseline never had them are no accident.
    [cluster] = find_clusters(window, [], Settings())
    assert cluster.chance < 0.0005


def test_chance_is_the_poisson_tail():
    from problems.kedb.clustering import chance_of

    assert chance_of(0, 3.0) == pytest.approx(1.0)
    assert chance_of(1, 1.0) == pytest.approx(1 - math.exp(-1))
    assert chance_of(4, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6))
    assert chance_of(4, 0.0) == chance_of(4, 0.25)  # the floor for a word never seen before
