"""Exports: CSV and XLSX of what the reader may see under the queue's filters, formula cells
neutralised; one record as JSON with its timeline; a record one may not see is a 404."""

import io
import json

import pytest
from openpyxl import load_workbook

from accounts.roles import Role
from tests.factories import UserFactory
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    agent = AgentFactory()
    client.force_login(agent)
    client.agent = agent
    return client


def test_csv_follows_the_filters_and_neutralises_formulas(agent_client):
    group = SupportGroupFactory(members=[agent_client.agent])
    incident(actor=agent_client.agent, title="=HYPERLINK(\"http://x\")", support_group=group,
             impact="high", urgency="high")  # fmt: skip
    incident(actor=agent_client.agent, title="Low one", support_group=group, impact="low",
             urgency="low")  # fmt: skip
    answer = agent_client.get("/imports/export/incident/?priority=1")
    body = b"".join(answer.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("Number,Title,Status")
    assert len(lines) == 2
    assert "'=HYPERLINK" in lines[1]


def test_xlsx_has_every_row_as_text_not_formulas(agent_client):
    group = SupportGroupFactory(members=[agent_client.agent])
    for n in range(3):
        incident(actor=agent_client.agent, title=f"@SUM({n})", support_group=group)
    answer = agent_client.get("/imports/export/incident/?as=xlsx")
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 4
    assert {row[1] for row in rows[1:]} == {"'@SUM(0)", "'@SUM(1)", "'@SUM(2)"}


def test_an_unknown_number_is_404(agent_client):
    assert agent_client.get("/imports/records/INC9999999.json").status_code == 404
    assert agent_client.get("/imports/export/nothing/").status_code == 404


def test_one_record_as_json_with_its_timeline(agent_client):
    record = incident(actor=agent_client.agent)
    answer = agent_client.get(f"/imports/records/{record.number}.json")
    document = json.loads(answer.content)
    assert document["number"] == record.number and document["fields"]["Priority"] == 3
    assert document["timeline"][0]["event"] == "created"


def test_the_task_queue_exports_its_tasks_under_its_filters(agent_client):
    """Tasks export like the other record types: the task queue's buttons, the filters the queue
    has (here one record's tasks), CSV and XLSX, formula cells neutralised, one task as JSON."""
    from django.db import transaction

    from catalogue import services as catalogue_services

    group = SupportGroupFactory(members=[agent_client.agent])
    parent = incident(actor=agent_client.agent, support_group=group)
    other = incident(actor=agent_client.agent, support_group=group)
    with transaction.atomic():
        task = catalogue_services.task_add(
            parent=parent, actor=agent_client.agent, title="=cmd|' /C calc'!A0",
            support_group=group,
        )  # fmt: skip
        catalogue_services.task_add(
            parent=other, actor=agent_client.agent, title="Other task", support_group=group
        )
    page = agent_client.get("/catalogue/tasks/?queue=mine").content.decode()
    assert "/imports/export/task/?queue=mine" in page
    assert "/imports/export/task/?queue=mine&amp;as=xlsx" in page
    answer = agent_client.get(f"/imports/export/task/?parent={parent.number}")
    assert answer.status_code == 200
    lines = b"".join(answer.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("Number,Title,Status,Record,Order,Requester,Support group")
    assert len(lines) == 2
    assert lines[1].startswith(f"{task.number},'=cmd") and parent.number in lines[1]
    book = load_workbook(
        io.BytesIO(b"".join(agent_client.get("/imports/export/task/?as=xlsx").streaming_content))
    )
    assert len(list(book.active.iter_rows(values_only=True))) == 3
    document = json.loads(agent_client.get(f"/imports/records/{task.number}.json").content)
    assert document["type"] == "task" and document["fields"]["Record"] == parent.number


def test_end_users_export_nothing(client):
    record = incident()
    client.force_login(UserFactory(role=Role.END_USER))
    assert client.get("/imports/export/incident/").status_code == 403
    assert client.get(f"/imports/records/{record.number}.json").status_code == 403
