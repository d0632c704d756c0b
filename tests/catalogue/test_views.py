"""The agent workspace's request pages: the task queue (its queues, keyset pages), a task's
actions, and the request page with its internal notes."""

import pytest
from django.test import override_settings

from catalogue import services
from catalogue.models import RequestStatus, TaskStatus
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup


@pytest.fixture
def world(db):
    world = laptop_setup()
    world.item.approval_rule = "none"
    world.item.save()
    return world


def order(world):
    return services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)


def test_my_groups_queue_shows_the_groups_open_tasks(client, world):
    record = order(world)
    client.force_login(world.tech)
    page = client.get("/catalogue/tasks/").content.decode()
    first, second = record.tasks.order_by("order")
    assert first.number in page and second.number not in page  # the second waits


@override_settings(QUEUE_PAGE_SIZE=2)
def test_the_queue_pages_by_keyset(client, world):
    numbers = [order(world).tasks.order_by("order").first().number for _ in range(3)]
    client.force_login(world.tech)
    first = client.get("/catalogue/tasks/", {"queue": "open"})
    cursor = first.context["page"].next_cursor
    assert f"?queue=open&amp;cursor={cursor}" in first.content.decode()
    second = client.get("/catalogue/tasks/", {"queue": "open", "cursor": cursor})
    shown = [t.number for t in first.context["tasks"]] + [t.number for t in second.context["tasks"]]
    assert shown == numbers
    assert not second.context["page"].has_next
    back = client.get(
        "/catalogue/tasks/", {"queue": "open", "cursor": second.context["page"].previous_cursor}
    )
    assert [t.number for t in back.context["tasks"]] == numbers[:2]
    garbage = client.get("/catalogue/tasks/", {"queue": "open", "cursor": "garbage"})
    assert [t.number for t in garbage.context["tasks"]] == numbers[:2]  # the first page


def test_working_the_tasks_from_their_pages_closes_the_request(client, world):
    record = order(world)
    first, second = record.tasks.order_by("order")
    client.force_login(world.tech)
    client.post(f"/catalogue/tasks/{first.number}/action/", {"action": "take"})
    client.post(f"/catalogue/tasks/{first.number}/action/", {"action": "done"})
    client.force_login(world.agent)
    client.post(f"/catalogue/tasks/{second.number}/action/", {"action": "done"})
    record.refresh_from_db()
    first.refresh_from_db()
    assert first.assignee == world.tech and first.status == TaskStatus.DONE
    assert record.status == RequestStatus.CLOSED


def test_the_request_page_takes_internal_notes(client, world):
    record = order(world)
    client.force_login(world.agent)
    client.post(
        f"/catalogue/requests/{record.number}/", {"body": "Check stock", "visibility": "internal"}
    )
    page = client.get(f"/catalogue/requests/{record.number}/").content.decode()
    assert "Check stock" in page and "Internal note" in page
    client.force_login(world.requester)
    assert "Check stock" not in client.get(f"/portal/requests/{record.number}/").content.decode()


def test_the_workspace_counts_the_agents_task_queues(client, world):
    order(world)
    client.force_login(world.tech)
    page = client.get("/workspace/").content.decode()
    assert 'data-test="tasks-groups"' in page
    sizes = {q["key"]: q["shown"] for q in client.get("/workspace/").context["task_queues"]}
    assert sizes == {"mine": "0", "groups": "1", "overdue": "0"}


def test_the_request_list_and_the_api_share_their_filters(client, world):
    from rest_framework.test import APIClient

    closed = order(world)
    services.request_close(request_id=closed.pk, actor=world.agent)
    open_ = order(world)
    client.force_login(world.agent)
    page = client.get("/catalogue/requests/", {"status": "closed"}).content.decode()
    assert closed.number in page and open_.number not in page
    by_email = client.get(
        "/catalogue/requests/", {"requester_email": closed.requester.email.upper()}
    ).content.decode()
    assert closed.number in by_email and open_.number in by_email  # same requester
    nobody = client.get("/catalogue/requests/", {"requester_email": "nobody@example.com"})
    assert closed.number not in nobody.content.decode()
    tasks_page = client.get("/catalogue/tasks/", {"queue": "all"}).content.decode()
    people = tasks_page[tasks_page.index('name="assignee"') :]
    people = people[: people.index("</select>")]
    assert world.agent.full_name in people
    assert closed.requester.full_name not in people  # requesters are not offered as assignees

    api = APIClient()
    api.force_authenticate(world.agent)
    listed = api.get("/api/v1/requests/", {"status": "in_fulfilment"}).json()["results"]
    assert [r["number"] for r in listed] == [open_.number]
    tasks = api.get("/api/v1/tasks/", {"status": "cancelled"}).json()["results"]
    assert {t["request"]["number"] for t in tasks} == {closed.number}
