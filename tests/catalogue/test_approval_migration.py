"""catalogue/migrations/0005 carries the requests' approval rows into the kernel's approval sets
(same ids, so mailed links still work) and back again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("catalogue", "0004_status_check_constraints"), ("servicedesk", "0006_approvals")]
AFTER = [("catalogue", "0005_approvals_in_the_kernel")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Unapplies and reapplies every later migration of the project: minutes on a loaded machine.
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_approvals_move_into_the_kernel_and_back():
    old = _migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        Service = old.get_model("catalogue", "Service")
        Item = old.get_model("catalogue", "RequestItem")
        Request = old.get_model("catalogue", "ServiceRequest")
        OldApproval = old.get_model("catalogue", "Approval")
        Group = old.get_model("auth", "Group")
        people = [
            User.objects.create(email=f"p{n}@example.com", full_name=f"P {n}") for n in range(4)
        ]
        requester, boss, first, second = people
        group = Group.objects.create(name="Migration approvers")
        service = Service.objects.create(name="Migrated service")
        item = Item.objects.create(
            service=service, name="Thing", approval_rule="group_all", approval_group=group
        )
        common = {"requester": requester, "item": item, "service": service, "title": "T"}
        waiting = Request.objects.create(
            number="REQ9000001", status="awaiting_approval", approval_rule="manager", **common
        )
        rejected = Request.objects.create(
            number="REQ9000002", status="rejected", approval_rule="group_all", **common
        )
        now = timezone.now()
        a1 = OldApproval.objects.create(request=waiting, approver=boss)
        a2 = OldApproval.objects.create(
            request=rejected, approver=first, decision="rejected", decided_at=now, comment="No"
        )
        a3 = OldApproval.objects.create(
            request=rejected, approver=second, decision="not_needed", decided_at=now
        )

        new = _migrate(AFTER)
        Approval = new.get_model("servicedesk", "Approval")
        ApprovalSet = new.get_model("servicedesk", "ApprovalSet")
        moved = {row.pk: row for row in Approval.objects.select_related("approval_set")}
        assert set(moved) == {a1.pk, a2.pk, a3.pk}  # the ids the signed links carry
        assert moved[a1.pk].object_id == waiting.pk and moved[a1.pk].approver_id == boss.pk
        assert moved[a1.pk].approval_set.status == "pending"
        assert (moved[a1.pk].approval_set.rule, moved[a1.pk].approval_set.quorum) == ("manager", 1)
        decided = moved[a2.pk].approval_set
        assert decided == moved[a3.pk].approval_set
        assert (decided.rule, decided.quorum, decided.status) == ("group_all", 2, "rejected")
        assert decided.group_id == group.pk
        assert (moved[a2.pk].decision, moved[a2.pk].comment) == ("rejected", "No")
        assert ApprovalSet.objects.count() == 2
        fresh = Approval.objects.create(
            approval_set=decided, content_type_id=decided.content_type_id,
            object_id=rejected.pk, approver_id=requester.pk,
        )  # fmt: skip
        assert fresh.pk > a3.pk  # the id sequence continues after the carried ids
        fresh.delete()

        back = _migrate(BEFORE)
        restored = {row.pk: row for row in back.get_model("catalogue", "Approval").objects.all()}
        assert set(restored) == {a1.pk, a2.pk, a3.pk}
        assert restored[a2.pk].request_id == rejected.pk and restored[a2.pk].comment == "No"
        assert restored[a1.pk].created_at == a1.created_at
        assert not back.get_model("servicedesk", "ApprovalSet").objects.exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
