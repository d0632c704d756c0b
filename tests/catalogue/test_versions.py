"""Stale versions are refused on service requests and fulfilment tasks as on incidents (DESIGN
rule 5): every update, transition and assignment takes the version the caller saw; an old one
changes nothing and answers 409 in the API and a message on the page. The task page has an
assignment box, and a reply on the request page may carry a file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalogue import services
from catalogue.models import RequestStatus, TaskStatus
from servicedesk.exceptions import StaleVersion
from servicedesk.models import Attachment
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup_without_approval
from tests.factories import UserFactory
from tests.servicedesk.helpers import PDF_BYTES

STALE = "Somebody else changed this record"


@pytest.fixture
def world(db):
    world = laptop_setup_without_approval()
    world.record = services.request_create(
        actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS
    )
    world.task = world.record.tasks.order_by("order").first()
    return world


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def fresh(row):
    row.refresh_from_db()
    return row


# --- Services -------------------------------------------------------------------------------------


def test_a_task_is_not_moved_or_assigned_on_an_old_version(world):
    task = world.task
    old = task.version
    services.task_take(task_id=task.pk, actor=world.tech)
    with pytest.raises(StaleVersion):
        services.task_transition(
            task_id=task.pk, actor=world.tech, target=TaskStatus.IN_PROGRESS, version=old
        )
    with pytest.raises(StaleVersion):
        services.task_assign(
            task_id=task.pk, actor=world.tech, assignee=world.colleague, version=old
        )
    assert (fresh(task).status, task.assignee) == (TaskStatus.OPEN, world.tech)
    services.task_assign(
        task_id=task.pk, actor=world.tech, assignee=world.colleague, version=task.version
    )
    assert fresh(task).assignee == world.colleague


def test_a_request_is_not_closed_or_cancelled_on_an_old_version(world):
    record = world.record
    with pytest.raises(StaleVersion):
        services.request_close(request_id=record.pk, actor=world.tech, version=record.version - 1)
    with pytest.raises(StaleVersion):
        services.request_cancel(
            request_id=record.pk, actor=world.requester, reason="Not needed",
            version=record.version - 1,
        )  # fmt: skip
    assert fresh(record).status == RequestStatus.IN_FULFILMENT
    assert fresh(world.task).status == TaskStatus.OPEN  # nothing half-done: the tasks stay
    services.request_cancel(
        request_id=record.pk, actor=world.requester, reason="Not needed", version=record.version
    )
    assert fresh(record).status == RequestStatus.CANCELLED


# --- API ------------------------------------------------------------------------------------------


def test_api_task_actions_answer_409_on_an_old_version(world):
    task = world.task
    client = api(world.tech)
    stale = client.post(
        f"/api/v1/tasks/{task.number}/start/", {"version": task.version + 1}, format="json"
    )
    assert stale.status_code == 409
    assert STALE in stale.json()["detail"]
    assert fresh(task).status == TaskStatus.OPEN
    started = client.post(
        f"/api/v1/tasks/{task.number}/start/", {"version": task.version}, format="json"
    )
    assert started.status_code == 200
    assert started.json()["status"] == TaskStatus.IN_PROGRESS
    assert started.json()["version"] > task.version


def test_api_request_close_and_cancel_answer_409_on_an_old_version(world):
    record = world.record
    url = f"/api/v1/requests/{record.number}/"
    closed = api(world.tech).post(url + "close/", {"version": record.version + 1}, format="json")
    assert closed.status_code == 409
    cancelled = api(world.requester).post(
        url + "cancel/", {"reason": "Changed my mind", "version": record.version + 1},
        format="json",
    )  # fmt: skip
    assert cancelled.status_code == 409
    assert fresh(record).status == RequestStatus.IN_FULFILMENT
    done = api(world.requester).post(
        url + "cancel/", {"reason": "Changed my mind", "version": record.version}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["status"] == RequestStatus.CANCELLED


def test_api_refuses_a_version_that_is_not_a_number(world):
    response = api(world.tech).post(
        f"/api/v1/tasks/{world.task.number}/done/", {"version": "two"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


# --- Pages ----------------------------------------------------------------------------------------


def test_the_task_page_refuses_a_stale_status_change_with_a_message(client, world):
    task = world.task
    client.force_login(world.tech)
    page = client.get(f"/catalogue/tasks/{task.number}/").content.decode()
    assert page.count(f'name="version" value="{task.version}"') >= 2  # the buttons, the assign box
    services.task_take(task_id=task.pk, actor=world.colleague)

    response = client.post(
        f"/catalogue/tasks/{task.number}/action/",
        {"action": "in_progress", "version": task.version},
        follow=True,
    )

    assert any(STALE in str(m) for m in response.context["messages"])
    assert fresh(task).status == TaskStatus.OPEN


def test_the_request_page_refuses_a_stale_close_with_a_message(client, world):
    record = world.record
    client.force_login(world.tech)
    page = client.get(f"/catalogue/requests/{record.number}/").content.decode()
    assert f'name="version" value="{record.version}"' in page
    response = client.post(
        f"/catalogue/requests/{record.number}/close/",
        {"version": record.version + 1},
        follow=True,
    )
    assert any(STALE in str(m) for m in response.context["messages"])
    assert fresh(record).status == RequestStatus.IN_FULFILMENT


def test_the_task_page_assigns_within_a_group(client, world):
    task = world.task
    client.force_login(world.tech)
    response = client.post(
        f"/catalogue/tasks/{task.number}/assign/",
        {"support_group": world.hardware.pk, "assignee": world.colleague.pk,
         "version": task.version},
        follow=True,
    )  # fmt: skip
    assert any("assigned to Hana Hardware" in str(m) for m in response.context["messages"])
    assert fresh(task).assignee == world.colleague


def test_the_task_page_shows_an_assignment_refusal_on_the_form(client, world):
    task = world.task
    client.force_login(world.tech)
    outsider = UserFactory(role="agent", full_name="Otto Outsider")
    other = type(world.hardware).objects.create(name="Elsewhere")
    other.members.add(outsider)
    response = client.post(
        f"/catalogue/tasks/{task.number}/assign/",
        {"support_group": world.hardware.pk, "assignee": outsider.pk, "version": task.version},
    )
    assert response.status_code == 400
    assert "Otto Outsider is not a member of" in response.content.decode()
    assert fresh(task).assignee is None


def test_a_reply_on_the_request_page_carries_its_file(client, world):
    record = world.record
    client.force_login(world.tech)
    pdf = SimpleUploadedFile("quote.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(
        f"/catalogue/requests/{record.number}/",
        {"body": "The quote is attached.", "visibility": "public", "file": pdf},
        follow=True,
    )
    assert response.status_code == 200
    stored = Attachment.objects.get(object_id=record.pk, filename="quote.pdf")
    assert stored.comment is not None and stored.visibility == "public"
