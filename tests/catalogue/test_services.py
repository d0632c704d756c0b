"""The request process through its services: register >> approve >> fulfil >> close, the
approval rules, rejections, the tasks' order, cancelling, comments and ratings."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from catalogue import services
from catalogue.models import (
    ApprovalRule,
    FulfilmentMode,
    FulfilmentTask,
    RequestStatus,
    TaskStatus,
)
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import Approval, AuditEvent, Decision, Notification, SatisfactionRating
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.factories import UserFactory

S, T = RequestStatus, TaskStatus


@pytest.fixture
def world(db):
    return laptop_setup()


def order(world, **kw):
    kw.setdefault("answers", LAPTOP_ANSWERS)
    return services.request_create(actor=world.requester, item=world.item, **kw)


def work_all_tasks(world, record):
    while True:
        task = record.tasks.filter(status=T.OPEN).order_by("order").first()
        if task is None:
            return
        worker = world.tech if task.support_group == world.hardware else world.agent
        services.task_take(task_id=task.pk, actor=worker)
        services.task_transition(task_id=task.pk, actor=worker, target=T.IN_PROGRESS)
        services.task_transition(task_id=task.pk, actor=worker, target=T.DONE)


class TestRegister:
    def test_a_request_needing_the_managers_approval_waits_for_him(self, world):
        record = order(world)

        assert record.number.startswith("REQ")
        assert record.status == S.AWAITING_APPROVAL
        assert record.support_group == world.desk
        approval = Approval.objects.get(service_request=record)
        assert approval.approver == world.boss and approval.decision == Decision.PENDING
        assert not record.tasks.exists()
        kinds = set(Notification.objects.values_list("kind", flat=True))
        assert {"logged", "approval_requested"} <= kinds

    def test_the_department_manager_approves_when_the_person_has_no_manager(self, world):
        from accounts.models import Department

        department = Department.objects.create(
            organisation=world.requester.organisation, name="Finance", manager=world.stranger
        )
        world.requester.manager = None
        world.requester.department = department
        world.requester.save()

        record = order(world)

        assert record.approvals.get().approver == world.stranger

    def test_no_manager_at_all_is_refused_and_nothing_is_saved(self, world):
        world.requester.manager = None
        world.requester.save()

        with pytest.raises(ValidationError) as error:
            order(world)

        assert "manager" in str(error.value)
        assert not world.item.requests.exists()

    def test_an_item_without_approval_goes_straight_to_fulfilment(self, world):
        world.item.approval_rule = ApprovalRule.NONE
        world.item.save()

        record = order(world)

        assert record.status == S.IN_FULFILMENT
        tasks = list(record.tasks.order_by("order"))
        assert [t.status for t in tasks] == [T.OPEN, T.WAITING]  # sequential
        assert tasks[0].support_group == world.hardware
        assert tasks[0].number.startswith("TSK")

    def test_parallel_items_open_every_task_at_once(self, world):
        world.item.approval_rule = ApprovalRule.NONE
        world.item.fulfilment_mode = FulfilmentMode.PARALLEL
        world.item.save()

        record = order(world)

        assert set(record.tasks.values_list("status", flat=True)) == {T.OPEN}

    def test_an_item_of_a_service_not_meant_for_the_person_cannot_be_ordered(self, world):
        from tests.factories import OrganisationFactory

        world.service.audience_organisations.add(OrganisationFactory())

        with pytest.raises(ValidationError):
            order(world)


class TestApprove:
    def test_approval_creates_the_tasks_and_the_last_task_closes_the_request(self, world):
        record = order(world)
        approval = record.approvals.get()

        services.approval_decide(approval_id=approval.pk, actor=world.boss, approve=True)

        record.refresh_from_db()
        approval.refresh_from_db()
        assert record.status == S.IN_FULFILMENT and record.approved_at is not None
        assert approval.decision == Decision.APPROVED and approval.decided_at is not None
        work_all_tasks(world, record)
        record.refresh_from_db()
        assert record.status == S.CLOSED and record.closed_at is not None
        assert set(record.tasks.values_list("status", flat=True)) == {T.DONE}

    def test_the_second_task_waits_until_the_first_is_done(self, world):
        record = order(world)
        services.approval_decide(
            approval_id=record.approvals.get().pk, actor=world.boss, approve=True
        )
        first, second = record.tasks.order_by("order")

        services.task_transition(task_id=first.pk, actor=world.tech, target=T.DONE)

        second.refresh_from_db()
        record.refresh_from_db()
        assert second.status == T.OPEN
        assert record.status == S.IN_FULFILMENT

    def test_a_rejection_needs_a_reason_and_closes_the_request_with_it(self, world):
        record = order(world)
        approval = record.approvals.get()

        with pytest.raises(ValidationError):
            services.approval_decide(approval_id=approval.pk, actor=world.boss, approve=False)
        services.approval_decide(
            approval_id=approval.pk, actor=world.boss, approve=False, comment="Budget is frozen."
        )

        record.refresh_from_db()
        assert record.status == S.REJECTED
        assert record.close_reason == "Budget is frozen."
        assert not record.tasks.exists()
        assert Notification.objects.filter(kind="rejected").exists()

    def test_only_the_approver_decides_and_only_once(self, world):
        record = order(world)
        approval = record.approvals.get()

        with pytest.raises(PermissionDenied):
            services.approval_decide(approval_id=approval.pk, actor=world.requester, approve=True)
        services.approval_decide(approval_id=approval.pk, actor=world.boss, approve=True)
        with pytest.raises(TransitionNotAllowed):
            services.approval_decide(approval_id=approval.pk, actor=world.boss, approve=True)

    def test_group_all_needs_every_member_and_group_any_one(self, world):
        approvers = Group.objects.create(name="Laptop approvers")
        first, second = UserFactory(), UserFactory()
        approvers.user_set.add(first, second)
        world.item.approval_rule = ApprovalRule.GROUP_ALL
        world.item.approval_group = approvers
        world.item.save()

        record = order(world)
        assert record.approvals.count() == 2
        services.approval_decide(
            approval_id=record.approvals.get(approver=first).pk, actor=first, approve=True
        )
        record.refresh_from_db()
        assert record.status == S.AWAITING_APPROVAL
        services.approval_decide(
            approval_id=record.approvals.get(approver=second).pk, actor=second, approve=True
        )
        record.refresh_from_db()
        assert record.status == S.IN_FULFILMENT

        world.item.approval_rule = ApprovalRule.GROUP_ANY
        world.item.save()
        other = order(world)
        services.approval_decide(
            approval_id=other.approvals.get(approver=first).pk, actor=first, approve=True
        )
        other.refresh_from_db()
        assert other.status == S.IN_FULFILMENT
        assert other.approvals.get(approver=second).decision == Decision.NOT_NEEDED

    def test_the_service_owner_approves(self, world):
        world.service.owner = world.stranger
        world.service.save()
        world.item.approval_rule = ApprovalRule.SERVICE_OWNER
        world.item.save()

        assert order(world).approvals.get().approver == world.stranger


class TestWorkAndFinish:
    def test_end_users_cannot_work_tasks(self, world):
        world.item.approval_rule = ApprovalRule.NONE
        world.item.save()
        task = order(world).tasks.first()

        with pytest.raises(PermissionDenied):
            services.task_transition(task_id=task.pk, actor=world.requester, target=T.DONE)

    def test_the_requester_cancels_with_a_reason_and_the_tasks_go_too(self, world):
        world.item.approval_rule = ApprovalRule.NONE
        world.item.save()
        record = order(world)

        services.request_cancel(request_id=record.pk, actor=world.requester, reason="Not needed.")

        record.refresh_from_db()
        assert record.status == S.CANCELLED
        assert set(record.tasks.values_list("status", flat=True)) == {T.CANCELLED}

    def test_others_cannot_cancel_or_comment(self, world):
        record = order(world)
        with pytest.raises(PermissionDenied):
            services.request_cancel(request_id=record.pk, actor=world.stranger, reason="Mine now.")
        with pytest.raises(PermissionDenied):
            services.request_comment(request_id=record.pk, actor=world.stranger, body="Hello")

    def test_requesters_comments_are_always_public(self, world):
        record = order(world)
        comment = services.request_comment(
            request_id=record.pk, actor=world.requester, body="Any news?", visibility="internal"
        )
        assert comment.visibility == "public"

    def test_rating_only_by_the_requester_once_closed(self, world):
        world.item.approval_rule = ApprovalRule.NONE
        world.item.save()
        record = order(world)
        with pytest.raises(TransitionNotAllowed):
            services.rate(record=record, actor=world.requester, score=5)
        work_all_tasks(world, record)
        record.refresh_from_db()
        with pytest.raises(PermissionDenied):
            services.rate(record=record, actor=world.stranger, score=1)

        services.rate(record=record, actor=world.requester, score=4, comment="Quick, thanks")
        services.rate(record=record, actor=world.requester, score=5)

        rating = SatisfactionRating.objects.get()
        assert rating.score == 5

    def test_every_step_is_in_the_timeline(self, world):
        record = order(world)
        services.approval_decide(
            approval_id=record.approvals.get().pk, actor=world.boss, approve=True
        )
        work_all_tasks(world, record)
        on_record = {
            "content_type": ContentType.objects.get_for_model(record),
            "object_id": record.pk,
        }
        events = AuditEvent.objects.filter(**on_record, field="status").values_list(
            "new_value", flat=True
        )
        assert list(events) == [S.AWAITING_APPROVAL, S.IN_FULFILMENT, S.CLOSED]
        assert FulfilmentTask.objects.filter(request=record).count() == 2
