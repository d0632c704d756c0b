"""Every agent queue refreshes live, not only the incident queue: a change to one of its
records moves its type's stamp (the poll's ETag), the queue's htmx request answers its table
with the change and the reader's filters, and a queue whose records did not change stays 304."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import SupportGroup
from catalogue import services as catalogue
from catalogue.models import FulfilmentTask
from servicedesk import services as kernel
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup_without_approval
from tests.changes.factories import raise_change
from tests.problems.factories import problem

TYPES = ("incident", "problem", "change", "request", "task")


@pytest.fixture
def world(db):
    setup = laptop_setup_without_approval()
    request = catalogue.request_create(
        actor=setup.requester, item=setup.item, answers=LAPTOP_ANSWERS
    )
    task = FulfilmentTask.objects.filter(request=request).order_by("order").first()
    records = {
        "problem": problem(actor=setup.agent, support_group=setup.desk),
        "change": raise_change(setup.agent, support_group=setup.desk),
        "request": request,
        "task": task,
    }
    return setup, records


QUEUES = {  # the page, its filters (kept by the refresh), its table's partial
    "problem": (
        "problems:queue",
        {"queue": "all", "sort": "-created"},
        "problems/_queue_table.html",
    ),
    "change": ("changes:queue", {"queue": "all"}, "changes/_queue_table.html"),
    "request": ("catalogue:requests", {"status": ""}, "catalogue/_requests_table.html"),
    "task": ("catalogue:tasks", {"queue": "all"}, "catalogue/_tasks_table.html"),
}


def stamps(client):
    return {key: client.get(reverse("live:queue_stamp", args=[key]))["ETag"] for key in TYPES}


@pytest.mark.parametrize("key", QUEUES)
def test_a_change_moves_its_queue_and_the_table_comes_back_with_it(
    key, world, client, django_capture_on_commit_callbacks
):
    setup, records = world
    record = records[key]
    cache.clear()
    client.force_login(setup.agent)
    page, filters, partial = QUEUES[key]
    full = client.get(reverse(page), filters)
    assert f'data-live-queue="{reverse("live:queue_stamp", args=[key])}"' in full.text
    before = stamps(client)
    network = SupportGroup.objects.create(name="Network")
    network.members.add(setup.agent)
    with django_capture_on_commit_callbacks(execute=True):
        kernel.record_assign(
            model=type(record), record_id=record.pk, actor=setup.agent,
            support_group=network, assignee=setup.agent,
        )  # fmt: skip
    url = reverse("live:queue_stamp", args=[key])
    moved = client.get(url, HTTP_IF_NONE_MATCH=before[key])
    assert moved.status_code == 204 and moved["ETag"] != before[key]
    by_group = client.get(url, {"support_group": network.pk}, HTTP_IF_NONE_MATCH=before[key])
    assert by_group.status_code == 204
    for other in set(QUEUES) - {key}:  # nothing of theirs changed
        stale = client.get(
            reverse("live:queue_stamp", args=[other]), HTTP_IF_NONE_MATCH=before[other]
        )
        assert stale.status_code == 304, other
    table = client.get(reverse(page), filters, HTTP_HX_REQUEST="true")
    assert table.status_code == 200
    assert [t.name for t in table.templates][0] == partial
    assert "<html" not in table.text  # the table alone, swapped into the page
    shown = "Network" if key == "request" else setup.agent.full_name  # its new group / assignee
    assert record.number in table.text and shown in table.text
