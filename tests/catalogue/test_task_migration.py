"""catalogue/migrations/0006 makes every existing fulfilment task a task whose parent is its
request (content type, id and number), losing none, and goes back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalogue", "0005_approvals_in_the_kernel")]
AFTER = [("catalogue", "0006_tasks_on_any_record")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Unapplies and reapplies every later migration of the project: minutes on a loaded machine.
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_existing_tasks_get_their_request_as_parent_and_back():
    old = _migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        Service = old.get_model("catalogue", "Service")
        Item = old.get_model("catalogue", "RequestItem")
        Request = old.get_model("catalogue", "ServiceRequest")
        Task = old.get_model("catalogue", "FulfilmentTask")
        requester = User.objects.create(email="mig@example.com", full_name="Mig")
        service = Service.objects.create(name="Migrated service")
        item = Item.objects.create(service=service, name="Thing")
        common = {"requester": requester, "item": item, "service": service, "title": "T"}
        first = Request.objects.create(number="REQ9100001", status="in_fulfilment", **common)
        second = Request.objects.create(number="REQ9100002", status="closed", **common)
        tasks = [
            Task.objects.create(number=f"TSK91000{n}", title="Step", requester=requester,
                                request=request, status=status)
            for n, (request, status) in enumerate(
                [(first, "open"), (first, "waiting"), (second, "done")]
            )
        ]  # fmt: skip

        new = _migrate(AFTER)
        ContentType = new.get_model("contenttypes", "ContentType")
        request_type = ContentType.objects.get(app_label="catalogue", model="servicerequest")
        moved = {t.pk: t for t in new.get_model("catalogue", "FulfilmentTask").objects.all()}
        assert set(moved) == {t.pk for t in tasks}
        for task in tasks:
            row = moved[task.pk]
            assert row.parent_type_id == request_type.pk
            assert row.parent_id == row.request_id == task.request_id
            assert row.parent_number == (first if task.request_id == first.pk else second).number
            assert row.status == task.status and row.due_at is None

        back = _migrate(BEFORE)
        restored = back.get_model("catalogue", "FulfilmentTask").objects.order_by("pk")
        assert [(t.pk, t.request_id) for t in restored] == [(t.pk, t.request_id) for t in tasks]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
