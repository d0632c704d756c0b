"""Service requests on the dashboards: their own fact rows (fulfilled when closed), chosen with
the "Records" filter, every panel answering for them, incidents not mixed in."""

import pytest

from catalogue import services
from dashboards.facts import refresh_all
from dashboards.models import RecordFact
from dashboards.scope import scope_for
from dashboards.selectors import PANELS, resolution_figures
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.incidents.factories import incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def fulfilled(db):
    """A laptop request without approval, its two tasks done: closed."""
    world = laptop_setup()
    world.item.approval_rule = "none"
    world.item.save()
    record = services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)
    first, second = record.tasks.order_by("order")
    services.task_transition(task_id=first.pk, actor=world.tech, target="done")
    services.task_transition(task_id=second.pk, actor=world.agent, target="done")
    record.refresh_from_db()
    assert record.status == "closed"
    incident()  # an open incident, which the request figures must not count
    refresh_all()
    return record


def test_a_closed_request_is_a_fulfilled_fact_row(fulfilled):
    fact = RecordFact.objects.get(record_type="request")
    assert (fact.object_id, fact.number) == (fulfilled.pk, fulfilled.number)
    assert fact.resolved_at == fulfilled.closed_at
    assert fact.is_open is False
    assert RecordFact.objects.filter(record_type="incident", is_open=True).count() == 1

    requests = resolution_figures(scope_for("this_month", record_type="request"))
    incidents = resolution_figures(scope_for("this_month"))
    assert (requests["resolved"], incidents["resolved"]) == (1, 0)
    expected = (fulfilled.closed_at - fulfilled.created_at).total_seconds()
    assert requests["resolve_seconds_mean"] == pytest.approx(expected)


def test_every_panel_answers_for_requests_and_the_filter_offers_them(fulfilled, client, manager):
    client.force_login(manager)

    page = client.get("/dashboards/kpis/", {"type": "request"})
    assert page.status_code == 200
    assert '<option value="request" selected>' in page.content.decode()
    for key in PANELS:
        response = client.get(f"/dashboards/data/{key}/", {"type": "request"})
        assert response.status_code == 200, key
    kpis = client.get("/dashboards/data/kpis/", {"type": "request"}).json()
    assert kpis["scope"]["type"] == "request"  # links and CSV exports keep the record type
