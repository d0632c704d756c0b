"""What the busiest agent pages cost: the queries of the queue (default, breached, one group)
and of the record page are pinned, and the queue's rows, worked out before the template, show
what the incidents say in the reader's language and time zone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.selectors import queue_rows
from prediction.models import BreachModel
from prediction.selectors import current_model
from servicedesk.selectors import queue_annotate
from tests.incidents.factories import (
    AgentFactory,
    CategoryFactory,
    EndUserFactory,
    SupportGroupFactory,
    incident,
)

QUEUE = "/incidents/"
# The agent (its session comes from the cache), the page in its serial-plan block (in a test's
# transaction: SAVEPOINT, SET LOCAL, the rows, SET back, RELEASE; BEGIN, SET LOCAL, the rows,
# COMMIT in production), the follow-the-sun badges, the filter bar's groups, assignees and
# categories, the saved filters and the bulk bar's macros; a chosen group is read by the filter.
QUEUE_QUERIES = 12


@pytest.fixture
def desk(db, private_cache):
    agent = AgentFactory(email="arash@example.com", full_name="Arash Agent", time_zone="UTC")
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    network = CategoryFactory(name="Network")
    requesters = [EndUserFactory(full_name=f"Caller {i}") for i in range(3)]
    for i in range(12):
        incident(
            actor=agent,
            title=f"VPN drops {i}",
            requester=requesters[i % 3],
            support_group=group,
            assignee=agent if i % 3 == 0 else None,
            category=network if i % 4 else None,
            impact="medium",
            urgency="medium",
        )
    return agent, group


@pytest.fixture
def agent_client(client, desk):
    client.force_login(desk[0])
    client.get(QUEUE)  # the first request fills the permission cache and the content types
    return client


@pytest.mark.parametrize(
    ("query", "most"),
    [
        ({}, QUEUE_QUERIES),
        ({"queue": "breached"}, QUEUE_QUERIES),
        ({"queue": "open", "support_group": "GROUP"}, QUEUE_QUERIES + 1),
    ],
)
def test_a_queue_page_takes_its_pinned_number_of_queries(
    agent_client, desk, query, most, django_assert_max_num_queries
):
    params = {key: str(desk[1].pk) if value == "GROUP" else value for key, value in query.items()}
    agent_client.get(QUEUE, params)
    with django_assert_max_num_queries(most) as captured:
        response = agent_client.get(QUEUE, params)
    assert response.status_code == 200
    assert not any("django_session" in q["sql"] for q in captured.captured_queries)


def test_the_record_page_reads_neither_the_session_nor_the_model_in_use_from_the_database(
    agent_client, desk
):
    number = Incident.objects.order_by("pk").values_list("number", flat=True).first()
    agent_client.get(f"{QUEUE}{number}/")
    with CaptureQueriesContext(connection) as captured:
        response = agent_client.get(f"{QUEUE}{number}/")
    assert response.status_code == 200
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert "django_session" not in tables
    assert "prediction_breachmodel" not in tables
    assert len(captured.captured_queries) <= 15


def test_a_model_saved_is_the_model_in_use_at_once(db, private_cache, tmp_path):
    assert current_model() is None
    path = tmp_path / "model.joblib"
    path.write_bytes(b"")
    saved = BreachModel.objects.create(
        trained_at=datetime.now(UTC), path=str(path), usable=True, history=100
    )
    assert current_model() == saved
    saved.usable = False
    saved.save(update_fields=["usable"])
    assert current_model() is None


def test_the_rows_say_what_the_incidents_say_in_the_readers_language_and_zone(desk):
    agent, group = desk
    opened = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    with time_machine.travel(opened, tick=False):
        record = incident(
            actor=agent,
            title="Printer <jammed>",
            requester=EndUserFactory(full_name="Emma Wilson"),
            support_group=group,
            impact="medium",
            urgency="medium",
        )
    rows = queue_annotate(list(Incident.objects.filter(pk=record.pk)))
    later = time_machine.travel(opened + timedelta(days=2), tick=False)
    with later, translation.override("fa"), timezone.override("Asia/Tehran"):
        (row,) = queue_rows(rows, detail_base="/incidents/")
    assert row["url"] == f"/incidents/{record.number}/"
    assert row["title"] == "Printer <jammed>"  # escaped by the template, not here
    assert row["requester"] == "Emma Wilson"
    assert row["group"] == "Service Desk"
    assert row["assignee"] == ""
    assert row["status"] == IncidentStatus.NEW
    with translation.override("fa"):
        assert row["status_label"] == str(IncidentStatus.NEW.label)
    assert row["select"] == f"انتخاب {record.number}"
    assert "12:00" in row["opened"]  # 08:30 UTC is 12:00 in Tehran
    assert row["age"]


def test_the_queue_shows_the_rows_values(agent_client, desk):
    page = agent_client.get(QUEUE).content.decode()
    assert "Arash Agent" in page
    assert "Nobody" in page
    assert 'aria-label="Select INC' in page
    assert '<span class="status status-new">New</span>' in page
