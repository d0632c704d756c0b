"""Generic approvals (servicedesk/approvals/) on the kernel's test Ticket: a record type that
declares `ApprovalHooks` in a few lines (tests/kernel/apps.py) is approved under every rule,
with the same checks, events, e-mails and signed one-time links as service requests."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from servicedesk.actors import system_actor
from servicedesk.approvals import services
from servicedesk.approvals.links import approval_from_token, approval_token
from servicedesk.approvals.selectors import approval_get, approvals_waiting_for, record_approvals
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import (
    Approval,
    ApprovalRule,
    ApprovalSetStatus,
    AuditEvent,
    Decision,
    Notification,
)
from servicedesk.notifications import deliver_pending
from servicedesk.services import record_create
from tests.catalogue.factories import ServiceFactory
from tests.factories import DepartmentFactory, UserFactory
from tests.kernel.models import Ticket, TicketStatus, tickets_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    boss = UserFactory(role=Role.END_USER, full_name="Bea Boss")
    requester = UserFactory(role=Role.END_USER, full_name="Rita Requester", manager=boss)
    stranger = UserFactory(role=Role.END_USER, full_name="Sid Stranger")
    cab = [UserFactory(role=Role.END_USER, full_name=f"Cab Member {n}") for n in (1, 2, 3)]
    group = Group.objects.create(name="Change advisory board")
    group.user_set.add(*cab)
    return boss, requester, stranger, cab, group


def ticket(requester, **fields):
    fields.setdefault("title", "Replace the core switch")
    with transaction.atomic():
        return record_create(
            model=Ticket, actor=requester, fields={"requester": requester, **fields}
        )


def ask(record, rule, **kwargs):
    with transaction.atomic():
        return services.approvals_request(record=record, actor=system_actor(), rule=rule, **kwargs)


def decide(approval, actor=None, *, approve=True, comment=""):
    return services.approval_decide(
        approval_id=approval.pk, actor=actor or approval.approver, approve=approve, comment=comment
    )


def approval_texts(record):
    rows = AuditEvent.objects.filter(object_id=record.pk, field="approval").order_by("pk")
    return [
        (row.actor, row.new_text, row.note) for row in rows if row.content_type.model == "ticket"
    ]


def refreshed(record):
    record.refresh_from_db()
    return record


# --- The rules ---------------------------------------------------------------------------------


def test_the_requesters_manager_approves_and_the_ticket_goes_to_work(people):
    boss, requester, *_rest = people
    record = ticket(requester)

    approval_set = ask(record, ApprovalRule.MANAGER)

    assert (approval_set.rule, approval_set.quorum, approval_set.status) == (
        "manager",
        1,
        "pending",
    )
    (approval,) = record_approvals(record)
    assert approval.approver == boss and approval.decision == Decision.PENDING
    assert approval.rule == ApprovalRule.MANAGER
    assert approval_texts(record) == [(system_actor(), "Approval asked of Bea Boss", "")]
    assert Notification.objects.filter(kind="approval_requested", user_ids=[boss.pk]).exists()

    decide(approval, comment="Go ahead.")

    assert refreshed(record).status == TicketStatus.IN_PROGRESS  # the type's callback ran
    approval_set.refresh_from_db()
    assert approval_set.status == ApprovalSetStatus.APPROVED and approval_set.decided_at
    assert approval_texts(record)[1:] == [(boss, "Approved by Bea Boss", "Go ahead.")]


def test_the_department_manager_and_the_service_owner_rules(people):
    boss, requester, stranger, *_rest = people
    head = UserFactory(role=Role.END_USER, full_name="Hedda Head")
    requester.department = DepartmentFactory(organisation=requester.organisation, manager=head)
    requester.save(update_fields=["department"])
    record = ticket(requester)
    ask(record, ApprovalRule.DEPARTMENT_MANAGER)
    assert [a.approver for a in record_approvals(record)] == [head]

    owned = ticket(requester, service=ServiceFactory(owner=stranger))
    ask(owned, ApprovalRule.SERVICE_OWNER)
    assert [a.approver for a in record_approvals(owned)] == [stranger]

    without = ticket(requester)
    with pytest.raises(ValidationError, match="no owner"):
        ask(without, ApprovalRule.SERVICE_OWNER)
    assert not record_approvals(without).exists()


def test_a_rule_nobody_can_meet_is_refused_and_writes_nothing(people):
    _boss, requester, stranger, *_rest = people
    record = ticket(stranger)  # no manager, no department
    for rule in (ApprovalRule.MANAGER, ApprovalRule.DEPARTMENT_MANAGER):
        with pytest.raises(ValidationError):
            ask(record, rule)
    with pytest.raises(ValidationError, match="group"):
        ask(record, ApprovalRule.GROUP_ANY)  # a group rule without its group
    assert not record_approvals(record).exists()
    assert ask(record, ApprovalRule.NONE) is None


def test_a_group_under_all_needs_every_member(people):
    _boss, requester, _stranger, cab, group = people
    record = ticket(requester)
    approval_set = ask(record, ApprovalRule.GROUP_ALL, group=group)
    assert approval_set.quorum == 3
    first, second, third = record_approvals(record)
    assert [first.approver, second.approver, third.approver] == cab

    decide(first)
    decide(second)
    assert refreshed(record).status == TicketStatus.NEW
    decide(third)
    assert refreshed(record).status == TicketStatus.IN_PROGRESS


def test_a_group_under_any_one_is_decided_by_the_first_answer(people):
    _boss, requester, _stranger, _cab, group = people
    record = ticket(requester)
    ask(record, ApprovalRule.GROUP_ANY, group=group)
    first, second, third = record_approvals(record)
    decide(second, approve=False, comment="Not this week.")
    assert refreshed(record).status == TicketStatus.RESOLVED
    decisions = [a.decision for a in record_approvals(record)]
    assert decisions == [Decision.NOT_NEEDED, Decision.REJECTED, Decision.NOT_NEEDED]


def test_a_quorum_of_two_of_three_approves(people):
    _boss, requester, _stranger, _cab, group = people
    record = ticket(requester)
    approval_set = ask(record, ApprovalRule.GROUP_QUORUM, group=group, quorum=2)
    assert approval_set.quorum == 2
    first, second, third = record_approvals(record)

    decide(first)
    decide(second, approve=False, comment="Too risky.")  # two approvals are still possible
    assert refreshed(record).status == TicketStatus.NEW
    decide(third)

    assert refreshed(record).status == TicketStatus.IN_PROGRESS
    approval_set.refresh_from_db()
    assert approval_set.status == ApprovalSetStatus.APPROVED


def test_a_quorum_out_of_reach_rejects(people):
    _boss, requester, _stranger, _cab, group = people
    record = ticket(requester)
    ask(record, ApprovalRule.GROUP_QUORUM, group=group, quorum=2)
    first, second, third = record_approvals(record)
    decide(first, approve=False, comment="No.")
    assert refreshed(record).status == TicketStatus.NEW
    decide(second, approve=False, comment="Not now.")

    assert refreshed(record).status == TicketStatus.RESOLVED
    third.refresh_from_db()
    assert third.decision == Decision.NOT_NEEDED and third.decided_at


def test_a_quorum_larger_than_the_group_is_refused(people):
    _boss, requester, _stranger, _cab, group = people
    with pytest.raises(ValidationError, match="4 approvals are needed"):
        ask(ticket(requester), ApprovalRule.GROUP_QUORUM, group=group, quorum=4)


def test_nobody_approves_their_own_record_when_someone_else_can(people):
    _boss, _requester, _stranger, cab, group = people
    record = ticket(cab[0])
    ask(record, ApprovalRule.GROUP_ALL, group=group)
    assert [a.approver for a in record_approvals(record)] == cab[1:]


# --- The checks ------------------------------------------------------------------------------


def test_a_rejection_needs_a_reason_and_closes_the_ticket_with_it(people):
    boss, requester, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    (approval,) = record_approvals(record)
    with pytest.raises(ValidationError) as refused:
        decide(approval, approve=False, comment="  ")
    assert "comment" in refused.value.message_dict
    approval.refresh_from_db()
    assert approval.decision == Decision.PENDING  # nothing half-saved

    decide(approval, approve=False, comment="Budget is frozen.")

    record = refreshed(record)
    assert record.status == TicketStatus.RESOLVED
    assert approval_texts(record)[-1] == (boss, "Rejected by Bea Boss", "Budget is frozen.")


def test_an_approval_is_decided_once_and_only_by_its_approver(people):
    boss, requester, stranger, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    (approval,) = record_approvals(record)
    with pytest.raises(PermissionDenied):
        decide(approval, stranger)
    with pytest.raises(PermissionDenied):
        decide(approval, requester)
    decide(approval)
    with pytest.raises(TransitionNotAllowed):
        decide(approval, boss, approve=False, comment="Changed my mind")
    approval.refresh_from_db()
    assert approval.decision == Decision.APPROVED


def test_a_second_round_waits_until_the_first_is_decided_or_withdrawn(people):
    boss, requester, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    with pytest.raises(TransitionNotAllowed):
        ask(record, ApprovalRule.MANAGER)
    with transaction.atomic():
        assert services.approvals_withdraw(record=record, actor=requester) == 1
    (withdrawn,) = record_approvals(record)
    assert withdrawn.decision == Decision.NOT_NEEDED
    assert approval_texts(record)[-1] == (requester, "Approval withdrawn", "")
    with pytest.raises(TransitionNotAllowed):
        decide(withdrawn)

    second = ask(record, ApprovalRule.MANAGER)
    assert second.status == ApprovalSetStatus.PENDING
    assert [a.decision for a in record_approvals(record)] == [Decision.NOT_NEEDED, Decision.PENDING]


# --- Visibility, the portal and the API ------------------------------------------------------


def test_the_approver_sees_the_ticket_and_nobody_else_sees_the_approval(people, client):
    boss, requester, stranger, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    (approval,) = record_approvals(record)

    assert tickets_visible_to(boss).filter(pk=record.pk).exists()
    assert not tickets_visible_to(stranger).filter(pk=record.pk).exists()
    assert list(approvals_waiting_for(boss)) == [approval]
    assert not approvals_waiting_for(stranger).exists()
    with pytest.raises(Approval.DoesNotExist):
        approval_get(user=stranger, pk=approval.pk)

    api = APIClient()
    api.force_authenticate(stranger)
    assert api.get(f"/api/v1/approvals/{approval.pk}/").status_code == 404
    assert api.post(f"/api/v1/approvals/{approval.pk}/approve/").status_code == 404
    client.force_login(stranger)
    assert (
        client.post(f"/portal/approvals/{approval.pk}/", {"decision": "approve"}).status_code == 404
    )
    assert refreshed(record).status == TicketStatus.NEW


def test_the_portal_lists_and_decides_a_ticket_approval(people, client):
    boss, requester, *_rest = people
    record = ticket(requester, description="The old one drops packets.")
    ask(record, ApprovalRule.MANAGER)
    client.force_login(boss)

    page = client.get("/portal/approvals/").content.decode()
    assert record.number in page and "Rita Requester" in page and "drops packets" in page
    (approval,) = record_approvals(record)
    client.post(f"/portal/approvals/{approval.pk}/", {"decision": "approve"})

    assert refreshed(record).status == TicketStatus.IN_PROGRESS
    assert "Nothing waits for your approval." in client.get("/portal/approvals/").content.decode()


def test_the_api_lists_and_decides_a_ticket_approval(people):
    boss, requester, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    api = APIClient()
    api.force_authenticate(boss)

    (row,) = api.get("/api/v1/approvals/").json()["results"]
    assert row["record"] == {
        "type": "ticket", "number": record.number, "title": record.title, "status": "new"
    }  # fmt: skip
    assert (row["rule"], row["quorum"], row["decision"]) == ("manager", 1, "pending")
    refused = api.post(f"/api/v1/approvals/{row['id']}/reject/")
    assert refused.status_code == 400 and "comment" in refused.json()["errors"]
    decided = api.post(f"/api/v1/approvals/{row['id']}/approve/", {"comment": "OK"}, format="json")
    assert decided.status_code == 200 and decided.json()["decision"] == "approved"
    assert api.post(f"/api/v1/approvals/{row['id']}/approve/").status_code == 409
    assert api.get("/api/v1/approvals/").json()["results"] == []
    listed = api.get("/api/v1/approvals/", {"all": "true"}).json()["results"]
    assert [r["id"] for r in listed] == [row["id"]]


# --- The e-mail and its signed one-time link ----------------------------------------------------


def test_the_approver_is_mailed_a_link_that_works_once(people, client):
    boss, requester, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    deliver_pending()

    (message,) = [m for m in mail.outbox if boss.email in m.to]
    assert message.subject == f"[{record.number}] Your approval is needed: {record.title}"
    assert "Rita Requester asks for the following" in message.body
    link = next(line for line in message.body.splitlines() if "/portal/approve/" in line)
    path = link[link.index("/portal/approve/") :].strip()

    shown = client.get(path)  # no sign-in; a GET decides nothing
    assert shown.status_code == 200 and record.title in shown.content.decode()
    assert refreshed(record).status == TicketStatus.NEW
    assert client.post(path, {"decision": "approve"}).status_code == 200
    (approval,) = record_approvals(record)
    assert approval.decision == Decision.APPROVED and approval.via_link
    assert refreshed(record).status == TicketStatus.IN_PROGRESS

    again = client.post(path, {"decision": "reject", "comment": "No"})
    assert again.status_code == 409
    approval.refresh_from_db()
    assert approval.decision == Decision.APPROVED


def test_a_tampered_or_expired_token_is_refused(people, client):
    _boss, requester, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    (approval,) = record_approvals(record)
    token = approval_token(approval)
    assert approval_from_token(token) == approval

    with pytest.raises(signing.BadSignature):
        approval_from_token(token + "x")
    forged = signing.TimestampSigner(salt="another.salt").sign(
        f"{approval.pk}:{approval.approver_id}"
    )
    with pytest.raises(signing.BadSignature):
        approval_from_token(forged)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        with pytest.raises(signing.SignatureExpired):
            approval_from_token(token)
        assert client.post(f"/portal/approve/{token}/", {"decision": "approve"}).status_code == 410
    assert client.post(f"/portal/approve/{token}x/", {"decision": "approve"}).status_code == 404
    approval.refresh_from_db()
    assert approval.decision == Decision.PENDING


def test_a_token_names_its_approver(people):
    boss, requester, stranger, *_rest = people
    record = ticket(requester)
    ask(record, ApprovalRule.MANAGER)
    (approval,) = record_approvals(record)
    someone_else = signing.TimestampSigner(salt="catalogue.approval-link").sign(
        f"{approval.pk}:{stranger.pk}"
    )
    with pytest.raises(signing.BadSignature):
        approval_from_token(someone_else)
    assert approval_from_token(approval_token(approval)).approver == boss


def test_the_approvals_page_reads_a_fixed_number_of_queries(people, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    boss, requester, *_rest = people
    client.force_login(boss)

    def queries_for(count):
        for _ in range(count):
            ask(ticket(requester), ApprovalRule.MANAGER)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/portal/approvals/").status_code == 200
        return len(captured)

    queries_for(0)  # the first request fills the permission cache
    assert queries_for(1) == queries_for(4)
