"""What one create through the API costs, and the reference data it reads from each process's
copy (servicedesk.memo): the copy serves the next create without a query, and any change of
a rule, an agreement, a category or the matrix is seen by the very next create."""

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from customfields.models import CustomField
from incidents.models import Category, Incident, PriorityMatrixCell
from servicedesk import memo
from servicedesk.models import AuditEvent, Notification
from sla.models import Metric, SlaPolicy, SlaTimer
from tests.factories import OrganisationFactory
from tests.incidents.factories import (
    CategoryFactory,
    ConfigurationItemFactory,
    RoutingRuleFactory,
    ServiceFactory,
    SubcategoryFactory,
    SupportGroupFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incidents/"

# An agent's create: the requester, the number, the incident, its audit row, its timers (SLA
# and OLA in one INSERT) and its e-mails (one INSERT): 6 statements, plus the savepoint of the
# service's transaction and its release (a test's transaction makes BEGIN one). No block of the
# view's own without custom fields to store, no follow-the-sun transaction after the commit for
# a group in no chain, and a token this process knows costs no query.
CREATE_QUERIES = 8


@pytest.fixture
def desk(agent):
    group = SupportGroupFactory(name="Service Desk", members=[agent], email="desk@example.com")
    RoutingRuleFactory(name="Everything else", order=1000, support_group=group)
    return group


@pytest.fixture
def client(agent):
    client = APIClient()
    client.force_authenticate(agent)
    return client


@pytest.fixture
def tree(db):
    network = CategoryFactory(name="Network")
    return network, SubcategoryFactory(name="VPN", parent=network)


def create(client, **fields):
    body = {"title": "VPN drops", "impact": "medium", "urgency": "high", **fields}
    response = client.post(LIST, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_create_costs_a_fixed_number_of_queries(
    client, desk, tree, make_user, django_assert_num_queries
):
    requester = make_user()
    network, vpn = tree
    fields = {"requester": requester.pk, "category": network.pk, "subcategory": vpn.pk}
    create(client, **fields)  # the process loads its copies once
    with django_assert_num_queries(CREATE_QUERIES):
        answer = create(client, **fields)
    incident = Incident.objects.get(number=answer["number"])
    assert (incident.support_group, incident.category, incident.subcategory) == (desk, *tree)
    assert AuditEvent.objects.filter(object_id=incident.pk, kind="created").count() == 1
    kinds = Notification.objects.filter(object_id=incident.pk).values_list("kind", flat=True)
    assert sorted(kinds) == ["assigned", "logged"]


def test_a_create_with_a_known_token_costs_no_more(
    agent, desk, tree, make_user, django_assert_num_queries
):
    from accounts.tokens import token_create_for_sign_in

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_create_for_sign_in(user=agent)}")
    network, vpn = tree
    fields = {"requester": make_user().pk, "category": network.pk, "subcategory": vpn.pk}
    create(api, **fields)  # the process learns the token, its owner and their permissions
    with django_assert_num_queries(CREATE_QUERIES):
        create(api, **fields)


def test_the_answer_is_the_record_as_the_api_shows_it(client, agent, desk, tree, make_user):
    """The create writes its answer from what it holds: every field as a read of the record
    shows it, relations, custom values, timers and the next statuses included."""
    network, vpn = tree
    CustomField.objects.create(
        record_type="incident", name="asset_tag", label="Asset tag", field_type="text", order=1
    )
    parent = create(client, title="The whole site is down")
    service = ServiceFactory(name="VPN")
    answer = create(
        client,
        description="<p>Drops <b>every</b> few minutes</p>",
        requester=make_user(full_name="Rana Requester").pk,
        organisation=OrganisationFactory(name="Finance").pk,
        category=network.pk,
        subcategory=vpn.pk,
        service=service.pk,
        configuration_item=ConfigurationItemFactory(name="vpn-gw-1", service=service).pk,
        support_group=desk.pk,
        assignee=agent.pk,
        parent=parent["number"],
        major_incident=True,
        outage_started_at="2026-12-01T08:30:00Z",
        custom_fields={"asset_tag": "LT-0042"},
    )
    stored = client.get(f"{LIST}{answer['number']}/").json()
    assert answer == stored
    assert list(answer) == list(stored)  # the same keys in the same order
    assert answer["parent"]["number"] == parent["number"]
    assert answer["custom_fields"] == {"asset_tag": "LT-0042"}
    assert answer["assignee"] == {"id": agent.pk, "name": "Arash Agent"}
    # and the least an end user gives
    end_user = APIClient()
    end_user.force_authenticate(make_user())
    mine = create(end_user, title="Printer jams", impact="low", urgency="low")
    assert mine == end_user.get(f"{LIST}{mine['number']}/").json()


def test_the_answer_shows_the_timers_as_the_record_does(client, desk):
    answer = create(client)
    stored = client.get(f"{LIST}{answer['number']}/").json()["sla_timers"]
    assert answer["sla_timers"] == stored
    assert {timer["metric"] for timer in stored} >= {Metric.FIRST_RESPONSE, Metric.RESOLUTION}


def test_a_new_routing_rule_routes_the_very_next_create(client, desk, tree):
    network, _vpn = tree
    assert create(client, category=network.pk)["support_group"]["id"] == desk.pk
    networkers = SupportGroupFactory(name="Network team")
    RoutingRuleFactory(order=10, category=network, support_group=networkers)
    assert create(client, category=network.pk)["support_group"]["id"] == networkers.pk


def test_a_retired_category_is_refused_at_once(client, desk, tree):
    network, _vpn = tree
    create(client, category=network.pk)
    network.is_active = False
    network.save()
    response = client.post(
        LIST,
        data=json.dumps({"title": "x", "impact": "low", "urgency": "low", "category": network.pk}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "category" in json.dumps(response.json())
    unknown = client.post(
        LIST,
        data=json.dumps({"title": "x", "impact": "low", "urgency": "low", "category": 999999}),
        content_type="application/json",
    )
    assert unknown.status_code == 400 and "category" in json.dumps(unknown.json())


def test_an_edited_matrix_cell_gives_the_next_create_its_priority(client, desk):
    assert create(client, impact="low", urgency="low")["priority"] == 5
    cell = PriorityMatrixCell.objects.get(impact="low", urgency="low")
    cell.priority_id = 2
    cell.save()
    assert create(client, impact="low", urgency="low")["priority"] == 2


def test_a_retired_agreement_starts_no_timers_on_the_next_create(client, desk):
    assert create(client)["sla_timers"]
    for policy in SlaPolicy.objects.all():
        policy.is_active = False
        policy.save()
    answer = create(client)
    assert answer["sla_timers"] == []
    assert not SlaTimer.objects.filter(object_id=answer["id"]).exists()


def test_another_process_change_is_seen_by_the_next_request(client, desk, tree):
    """A change made elsewhere reaches this process through the shared token alone: the rows
    change behind this process's back (no signal here), the other process draws a new token."""
    network, _vpn = tree
    networkers = SupportGroupFactory(name="Network team")
    create(client, category=network.pk)
    # The rule's row appears without this process's signals, as another process writes it.
    RoutingRuleFactory._meta.model.objects.bulk_create(
        [RoutingRuleFactory.build(order=10, category=network, support_group=networkers)]
    )
    assert create(client, category=network.pk)["support_group"]["id"] == desk.pk  # still cached
    cache.set(memo.GENERATION_KEY, "drawn by another process", timeout=None)
    assert create(client, category=network.pk)["support_group"]["id"] == networkers.pk


def test_within_a_request_the_token_is_read_once(db):
    calls = []
    memo.scope_start()
    try:
        for _ in range(3):
            memo.reference("test:value", lambda: calls.append(1) or len(calls))
        cache.set(memo.GENERATION_KEY, "another", timeout=None)
        # The same request keeps its snapshot; the next one sees the new token.
        assert memo.reference("test:value", lambda: 0) == 1
    finally:
        memo.scope_end()
    assert memo.reference("test:value", lambda: 42) == 42
    assert calls == [1]


def test_a_category_change_is_watched(tree):
    network, vpn = tree
    from incidents.selectors import category_get

    assert category_get(vpn.pk).parent == network
    Category.objects.filter(pk=vpn.pk).update(name="Remote access")  # a bulk write: no signal
    assert category_get(vpn.pk).name == "VPN"
    memo.forget()  # what bulk writers call
    assert category_get(vpn.pk).name == "Remote access"
