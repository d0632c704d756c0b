"""Storing a batch of alerts: new, repeated, recovered, recovered unseen and duplicate alerts
in one group; one statement on PostgreSQL; a fingerprint twice in a group; concurrent
requests carrying the same alerts."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from events import services
from events.choices import EventState, Processing
from events.models import Event, Receipt
from events.parsers import parse_alertmanager
from tests.events.conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)


def _ingest(source, *alerts):
    return services.alerts_ingest(source=source, alerts=parse_alertmanager(am_payload(*alerts)),
                                  now=NOW).as_dict()  # fmt: skip


def _written(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_group_of_every_kind_of_alert_is_stored_as_one_batch(make_source):
    source = make_source()
    first, again = am_alert("web1"), am_alert("web5")
    _ingest(source, first, am_alert("web2"), again)
    repeat = am_alert("web1", starts="2026-12-02T10:01:00Z")
    repeat["labels"]["team"] = "web"
    repeat["annotations"] = {"summary": "web1 is still down"}
    with CaptureQueriesContext(connection) as queries:
        answer = _ingest(
            source,
            again,  # taken before: a duplicate
            repeat,
            am_alert("web2", status="resolved"),
            am_alert("web3"),
            am_alert("web4", status="resolved"),  # its firing never came
        )
    assert answer == {"created": 2, "updated": 1, "resolved": 1, "duplicates": 1}
    if connection.vendor == "postgresql":
        assert len(_written(queries)) == 1
    events = {event.host: event for event in Event.objects.all()}
    web1 = events["web1"]
    assert (web1.count, web1.last_seen_at, web1.summary) == (2, NOW, "web1 is still down")
    assert web1.labels["team"] == "web" and web1.labels["alertname"] == "HostDown"
    web2 = events["web2"]
    assert (web2.state, web2.processing) == (EventState.RESOLVED, Processing.PENDING)
    assert web2.resolved_at == NOW  # its end (10:30) is later than now: now
    assert (events["web3"].state, events["web3"].processing) == (EventState.OPEN,
                                                                 Processing.PENDING)  # fmt: skip
    web4 = events["web4"]
    assert (web4.state, web4.processing) == (EventState.RESOLVED, Processing.DONE)
    assert Receipt.objects.count() == 7
    assert set(Receipt.objects.filter(event=web1).values_list("key", flat=True)) == {
        parse_alertmanager(am_payload(alert))[0].key for alert in (first, repeat)
    }
    # The whole group again: every alert a duplicate, nothing changed.
    assert _ingest(source, repeat, am_alert("web3"))["duplicates"] == 2
    assert Event.objects.get(host="web1").count == 2


def test_a_fingerprint_twice_in_a_group_counts_twice_on_one_event(make_source):
    source = make_source()
    answer = _ingest(source, am_alert("web1"), am_alert("web1", starts="2026-12-02T10:01:00Z"),
                     am_alert("web2"))  # fmt: skip
    assert answer == {"created": 2, "updated": 1, "resolved": 0, "duplicates": 0}
    assert Event.objects.get(host="web1").count == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_alerts_store_each_once(make_source):
    """Four requests at once carry the same group (a retry racing its original), each with
    alerts of its own too: every notification is taken once, one event per fingerprint."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time")
    source = make_source()
    shared = [am_alert(f"shared{i}") for i in range(20)]
    answers, failures = [], []
    start = threading.Barrier(4)

    def post(index: int) -> None:
        try:
            own = [am_alert(f"own{index}-{i}") for i in range(5)]
            alerts = parse_alertmanager(am_payload(*shared, *own))
            start.wait()
            answers.append(services.alerts_ingest(source=source, alerts=alerts).as_dict())
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sum(answer["created"] for answer in answers) == 20 + 4 * 5
    assert sum(answer["duplicates"] for answer in answers) == 3 * 20
    assert Event.objects.count() == 40 and Receipt.objects.count() == 40
    assert set(Event.objects.values_list("count", flat=True)) == {1}
