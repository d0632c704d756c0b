"""Taking a fulfilment task follows the incidents' rule: a task somebody else holds is taken
over only with the version the caller saw (409 otherwise)."""

import pytest
from rest_framework.test import APIClient

from catalogue import services
from servicedesk.exceptions import StaleVersion
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup_without_approval


@pytest.fixture
def world(db):
    return laptop_setup_without_approval()


def held_task(world):
    record = services.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)
    task = record.tasks.order_by("order").first()
    services.task_take(task_id=task.pk, actor=world.tech)
    task.refresh_from_db()
    return task


def test_a_held_task_is_not_taken_without_a_version(world):
    task = held_task(world)
    with pytest.raises(StaleVersion) as refused:
        services.task_take(task_id=task.pk, actor=world.colleague)
    assert "already assigned to Sam Tech" in str(refused.value.message)
    task.refresh_from_db()
    assert task.assignee == world.tech


def test_a_held_task_is_taken_over_with_the_current_version(world):
    task = held_task(world)
    services.task_take(task_id=task.pk, actor=world.colleague, version=task.version)
    task.refresh_from_db()
    assert task.assignee == world.colleague


def test_api_take_answers_409_without_version_and_200_with_it(world):
    task = held_task(world)
    client = APIClient()
    client.force_authenticate(world.colleague)
    url = f"/api/v1/tasks/{task.number}/take/"
    refused = client.post(url, {}, format="json")
    assert refused.status_code == 409
    assert "already assigned to Sam Tech" in refused.json()["detail"]
    stale = client.post(url, {"version": task.version - 1}, format="json")
    assert stale.status_code == 409
    taken = client.post(url, {"version": task.version}, format="json")
    assert taken.status_code == 200
    task.refresh_from_db()
    assert task.assignee == world.colleague


def test_the_task_page_sends_its_version_and_shows_the_conflict(client, world):
    task = held_task(world)
    client.force_login(world.colleague)
    page = client.get(f"/catalogue/tasks/{task.number}/").content.decode()
    assert f'name="version" value="{task.version}"' in page
    services.task_transition(task_id=task.pk, actor=world.tech, target="in_progress")

    response = client.post(
        f"/catalogue/tasks/{task.number}/action/",
        {"action": "take", "version": task.version},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    assert any("Somebody else changed this record" in text for text in shown)
    task.refresh_from_db()
    assert task.assignee == world.tech
