"""The read replica: dashboards and lists read from it, everything else and every write from
the primary, and nothing goes to it while it is off.

The `replica` alias of the test settings is a mirror of the test database (a second connection
to the same database), so the tests tell the two apart by the connection each query ran on.
The data must be committed for the second connection to see it: transactional tests.
"""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import Incident
from servicedesk.replicas import ReplicaRouter, replica_reads
from tests.incidents.factories import RoutingRuleFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    settings.READ_FROM_REPLICA = True


@pytest.fixture
def desk(agent):
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    RoutingRuleFactory(name="Everything else", order=1000, support_group=group)
    incident(title="Printer on fire", actor=agent)
    return group


class Queries:
    """The SQL each connection ran while the block ran."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections["replica"]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def tables(context) -> str:
        return " ".join(query["sql"] for query in context.captured_queries)


def test_the_queue_reads_its_rows_from_the_replica(client, agent, desk, replica_on):
    client.force_login(agent)
    with Queries() as queries:
        response = client.get(reverse("incidents:queue"), {"queue": "open"})

    assert response.status_code == 200
    assert "Printer on fire" in response.content.decode()
    assert '"incidents_incident"' in Queries.tables(queries.replica)
    assert '"incidents_incident"' not in Queries.tables(queries.primary)


def test_the_dashboards_read_from_the_replica(client, manager, replica_on):
    client.force_login(manager)
    with Queries() as queries:
        page = client.get(reverse("dashboards:home"))
        chart = client.get(reverse("dashboards:data", args=["kpis"]))

    assert page.status_code == chart.status_code == 200
    assert '"dashboards_recordfact"' in Queries.tables(queries.replica)
    assert '"dashboards_recordfact"' not in Queries.tables(queries.primary)


def test_the_api_list_reads_the_replica_and_the_record_the_primary(agent, desk, replica_on):
    api = APIClient()
    api.force_authenticate(agent)
    number = Incident.objects.get().number
    with Queries() as listed:
        rows = api.get("/api/v1/incidents/")
    with Queries() as read:
        one = api.get(f"/api/v1/incidents/{number}/")

    assert rows.status_code == one.status_code == 200
    assert [row["number"] for row in rows.json()["results"]] == [number]
    assert '"incidents_incident"' in Queries.tables(listed.replica)
    assert '"incidents_incident"' not in Queries.tables(listed.primary)
    assert one.json()["number"] == number
    assert Queries.tables(read.replica) == ""


def test_writes_go_to_the_primary_even_among_replica_reads(agent, desk, replica_on):
    with replica_reads():
        record = Incident.objects.get()
        assert record._state.db == "replica"
        record.title = "Printer put out"
        with Queries() as queries:
            record.save(update_fields=["title"])

    assert "UPDATE" in Queries.tables(queries.primary)
    assert not any(word in Queries.tables(queries.replica) for word in ("UPDATE", "INSERT"))
    assert Incident.objects.get().title == "Printer put out"
    router = ReplicaRouter()
    assert router.db_for_write(Incident) == "default"
    assert router.allow_migrate("replica", "incidents") is False
    assert router.allow_migrate("default", "incidents") is True


def test_nothing_reaches_the_replica_while_it_is_off(client, agent, manager, desk):
    client.force_login(agent)
    with Queries() as queries:
        queue = client.get(reverse("incidents:queue"))
        client.force_login(manager)
        dashboard = client.get(reverse("dashboards:home"))

    assert queue.status_code == dashboard.status_code == 200
    assert Queries.tables(queries.replica) == ""
    assert '"incidents_incident"' in Queries.tables(queries.primary)
