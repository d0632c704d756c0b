"""Changes through their life: every guard, the route by risk and type, the quorum arithmetic,
standard changes from templates and the post-implementation review."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from changes import services
from changes.choices import ChangeStatus as S
from changes.models import Change, ChangeBoard, StandardChangeTemplate
from servicedesk.approvals.services import approval_decide
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.models import ApprovalRule, ApprovalSet, AuditEvent, Decision
from tests.changes.factories import PLANS, people, questionnaire, raise_change, window
from tests.cmdb.factories import make_ci

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return people()


def move(change, target, actor, **kwargs):
    change.refresh_from_db()
    return services.change_transition(change_id=change.pk, actor=actor, target=target, **kwargs)


def assess(change, actor, level="low"):
    answers = questionnaire()[level]
    services.change_risk_assess(change_id=change.pk, actor=actor, answers=answers)
    return move(change, S.ASSESSED, actor)


def approvals_of(change):
    return ApprovalSet.objects.get(object_id=change.pk, status="pending").approvals.order_by("pk")


def test_a_change_gets_a_number_and_starts_requested(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    assert re.fullmatch(r"CHG\d{7}", change.number)
    assert change.status == S.REQUESTED
    assert change.raised_by == owner


def test_end_users_cannot_raise_a_change(end_user):
    with pytest.raises(PermissionDenied):
        raise_change(end_user)


def test_assessment_needs_both_plans(team):
    manager, owner, _cab = team
    change = raise_change(owner, implementation_plan="Patch it.")
    with pytest.raises(TransitionNotAllowed, match="back-out plan"):
        move(change, S.ASSESSED, owner)


def test_assessment_of_a_normal_change_needs_the_risk_questionnaire(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    with pytest.raises(TransitionNotAllowed, match="risk questionnaire"):
        move(change, S.ASSESSED, owner)


def test_risk_score_and_level_come_from_the_weights_and_thresholds(team):
    manager, owner, _cab = team
    answers = questionnaire()
    change = raise_change(owner, **PLANS)
    services.change_risk_assess(change_id=change.pk, actor=owner, answers=answers["low"])
    change.refresh_from_db()
    assert (change.risk_score, change.risk_level) == (2, "low")
    services.change_risk_assess(change_id=change.pk, actor=owner, answers=answers["high"])
    change.refresh_from_db()
    assert (change.risk_score, change.risk_level) == (25, "high")
    assert change.risk_answers.count() == 2


def test_every_question_must_be_answered_with_one_of_its_answers(team):
    manager, owner, _cab = team
    answers = questionnaire()
    first, second = answers["low"]
    change = raise_change(owner, **PLANS)
    with pytest.raises(ValidationError) as refused:
        services.change_risk_assess(
            change_id=change.pk, actor=owner, answers={first: answers["low"][second]}
        )
    assert set(refused.value.message_dict) == {f"q{first}", f"q{second}"}
    change.refresh_from_db()
    assert change.risk_score is None


def test_a_low_risk_change_is_authorised_by_one_change_manager(team):
    manager, owner, _cab = team
    change = assess(raise_change(owner, **PLANS), owner, "low")
    approval_set = ApprovalSet.objects.get(object_id=change.pk)
    assert approval_set.rule == ApprovalRule.GROUP_ANY
    assert [a.approver for a in approval_set.approvals.all()] == [manager]
    approval_decide(approval_id=approval_set.approvals.get().pk, actor=manager, approve=True)
    change.refresh_from_db()
    assert change.status == S.AUTHORISED
    assert change.authorised_at is not None


def test_a_high_risk_change_goes_to_the_cab_and_needs_its_quorum(team):
    manager, owner, cab = team
    change = assess(raise_change(owner, **PLANS), owner, "high")
    first, second, third = approvals_of(change)
    assert [a.approver for a in (first, second, third)] == cab
    assert first.approval_set.rule == ApprovalRule.GROUP_QUORUM
    assert first.approval_set.quorum == 2
    approval_decide(approval_id=first.pk, actor=cab[0], approve=True, comment="Fine by me.")
    change.refresh_from_db()
    assert change.status == S.ASSESSED  # one of two
    approval_decide(approval_id=second.pk, actor=cab[1], approve=True, comment="Go.")
    change.refresh_from_db()
    assert change.status == S.AUTHORISED
    third.refresh_from_db()
    assert third.decision == Decision.NOT_NEEDED


def test_under_a_quorum_one_rejection_does_not_decide_while_the_quorum_is_reachable(team):
    manager, owner, cab = team
    change = assess(raise_change(owner, **PLANS), owner, "high")
    first, second, third = approvals_of(change)
    approval_decide(approval_id=first.pk, actor=cab[0], approve=False, comment="Too risky.")
    change.refresh_from_db()
    assert change.status == S.ASSESSED  # 2 of the 2 others may still approve
    approval_decide(approval_id=second.pk, actor=cab[1], approve=False, comment="Agreed.")
    change.refresh_from_db()
    assert change.status == S.REJECTED


def test_a_board_where_all_must_approve(team):
    manager, owner, cab = team
    ChangeBoard.objects.filter(kind="cab").update(rule="all")
    change = assess(raise_change(owner, **PLANS), owner, "high")
    rows = list(approvals_of(change))
    assert rows[0].approval_set.quorum == 3
    for row, member in zip(rows[:2], cab[:2], strict=True):
        approval_decide(approval_id=row.pk, actor=member, approve=True)
    change.refresh_from_db()
    assert change.status == S.ASSESSED
    approval_decide(approval_id=rows[2].pk, actor=cab[2], approve=True)
    change.refresh_from_db()
    assert change.status == S.AUTHORISED


def test_an_emergency_change_asks_the_emergency_cab_members_on_call(team):
    manager, owner, cab = team
    change = raise_change(owner, change_type="emergency", **PLANS)
    move(change, S.ASSESSED, owner)  # no questionnaire needed for an emergency
    rows = list(approvals_of(change))
    assert [row.approver for row in rows] == cab[:2]  # the third is not on call
    assert rows[0].approval_set.quorum == 2


def test_an_emergency_with_too_few_members_on_call_is_refused_whole(team):
    manager, owner, cab = team
    ChangeBoard.objects.filter(kind="emergency").update(quorum=3)
    change = raise_change(owner, change_type="emergency", **PLANS)
    with pytest.raises(ValidationError, match="needs 3 approvals"):
        move(change, S.ASSESSED, owner)
    change.refresh_from_db()
    assert change.status == S.REQUESTED
    assert not ApprovalSet.objects.filter(object_id=change.pk).exists()


def test_nobody_moves_an_assessed_change_to_authorised_by_hand(team):
    manager, owner, _cab = team
    change = assess(raise_change(owner, **PLANS), owner)
    with pytest.raises(TransitionNotAllowed):
        move(change, S.AUTHORISED, manager)


def test_scheduling_needs_the_authorisation_and_a_window(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    with pytest.raises(TransitionNotAllowed):
        move(change, S.SCHEDULED, owner)  # a normal change, not authorised
    change = assess(change, owner)
    approval_decide(approval_id=approvals_of(change)[0].pk, actor=manager, approve=True)
    with pytest.raises(TransitionNotAllowed, match="planned start"):
        move(change, S.SCHEDULED, owner)
    services.change_update(change_id=change.pk, actor=owner, changes=window())
    move(change, S.SCHEDULED, owner)
    change.refresh_from_db()
    assert change.status == S.SCHEDULED


def test_the_scheduling_hook_refuses_with_its_reasons(team, monkeypatch):
    manager, owner, _cab = team
    template = StandardChangeTemplate.objects.create(name="Restart a web node", **PLANS)
    with transaction.atomic():
        change = services.change_from_template(actor=owner, template=template, fields=window())
    monkeypatch.setattr("changes.scheduling.schedule_checks", lambda c: ["A freeze is on."])
    with pytest.raises(TransitionNotAllowed, match="A freeze is on."):
        move(change, S.SCHEDULED, owner)


def _authorised(owner, manager, **fields):
    change = assess(raise_change(owner, **PLANS, **fields), owner)
    approval_decide(approval_id=approvals_of(change)[0].pk, actor=manager, approve=True)
    change.refresh_from_db()
    return change


def test_implementation_review_and_closing(team):
    manager, owner, _cab = team
    change = _authorised(owner, manager, **window())
    move(change, S.SCHEDULED, owner)
    move(change, S.IMPLEMENTING, owner)
    move(change, S.REVIEW, owner)
    change.refresh_from_db()
    assert change.actual_start and change.actual_end
    with pytest.raises(TransitionNotAllowed, match="post-implementation review"):
        move(change, S.CLOSED, manager, outcome="successful")
    with pytest.raises(ValidationError) as refused:
        services.change_review(change_id=change.pk, actor=manager, outcome="", objectives_met=True,
                               lessons="")  # fmt: skip
    assert set(refused.value.message_dict) == {"outcome", "lessons"}
    services.change_review(
        change_id=change.pk, actor=manager, outcome="successful_with_issues",
        objectives_met=True, lessons="Take the snapshot earlier.", incidents_caused="INC0000042",
    )  # fmt: skip
    move(change, S.CLOSED, owner)
    change.refresh_from_db()
    assert (change.status, change.outcome) == (S.CLOSED, "successful_with_issues")
    assert change.closed_at is not None


def test_only_the_owner_or_a_change_manager_reviews(team, agent):
    manager, owner, _cab = team
    change = _authorised(owner, manager, **window())
    for target in (S.SCHEDULED, S.IMPLEMENTING, S.REVIEW):
        move(change, target, owner)
    with pytest.raises(PermissionDenied):
        services.change_review(change_id=change.pk, actor=agent, outcome="successful",
                               objectives_met=True, lessons="None.")  # fmt: skip


def test_a_standard_change_from_its_template_skips_the_cab(team):
    manager, owner, _cab = team
    server = make_ci("db-01", "server")
    template = StandardChangeTemplate.objects.create(
        name="Rotate the database logs", default_duration=timedelta(minutes=30), **PLANS
    )
    template.configuration_items.add(server)
    start = window()["planned_start"]
    with transaction.atomic():
        change = services.change_from_template(
            actor=owner, template=template, fields={"planned_start": start}
        )
    assert change.change_type == "standard"
    assert change.planned_end == start + timedelta(minutes=30)
    assert list(change.configuration_items.all()) == [server]
    with pytest.raises(TransitionNotAllowed, match="pre-approved"):
        move(change, S.ASSESSED, owner)
    for target in (S.SCHEDULED, S.IMPLEMENTING, S.REVIEW):
        move(change, target, owner)
    assert not ApprovalSet.objects.filter(object_id=change.pk).exists()
    with pytest.raises(TransitionNotAllowed, match="change manager"):
        move(change, S.CLOSED, owner, outcome="successful")
    with pytest.raises(TransitionNotAllowed, match="closure code"):
        move(change, S.CLOSED, manager)
    move(change, S.CLOSED, manager, outcome="successful")
    change.refresh_from_db()
    assert change.reviewed_by == manager


def test_a_standard_change_needs_a_template(team):
    manager, owner, _cab = team
    with pytest.raises(ValidationError, match="template"):
        raise_change(owner, change_type="standard")


def test_cancelling_needs_a_reason_and_withdraws_the_approval(team):
    manager, owner, _cab = team
    change = assess(raise_change(owner, **PLANS), owner)
    with pytest.raises(TransitionNotAllowed, match="Say why"):
        move(change, S.CANCELLED, owner)
    move(change, S.CANCELLED, owner, note="Not needed after all.")
    assert ApprovalSet.objects.get(object_id=change.pk).status == "cancelled"


def test_what_was_assessed_is_fixed_but_the_window_may_move(team):
    manager, owner, _cab = team
    change = assess(raise_change(owner, **PLANS), owner)
    with pytest.raises(TransitionNotAllowed, match="planned window"):
        services.change_update(change_id=change.pk, actor=owner, changes={"backout_plan": "Hope."})
    services.change_update(change_id=change.pk, actor=owner, changes=window())
    change.refresh_from_db()
    assert change.planned_start is not None


def test_a_stale_edit_is_refused(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    services.change_update(change_id=change.pk, actor=owner, changes={"risks": "Some."},
                           version=change.version)  # fmt: skip
    with pytest.raises(StaleVersion):
        services.change_update(change_id=change.pk, actor=owner, changes={"risks": "Other."},
                               version=change.version)  # fmt: skip


def test_the_window_must_be_ordered(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    w = window()
    with pytest.raises(ValidationError, match="after the start"):
        services.change_update(
            change_id=change.pk, actor=owner,
            changes={"planned_start": w["planned_end"], "planned_end": w["planned_start"]},
        )  # fmt: skip


def test_affected_cis_are_audited(team):
    manager, owner, _cab = team
    change = raise_change(owner, **PLANS)
    server = make_ci("db-01", "server")
    services.change_update(
        change_id=change.pk, actor=owner, changes={},
        relations={"configuration_items": [server]},
    )  # fmt: skip
    event = AuditEvent.objects.filter(object_id=change.pk, field="configuration_items").get()
    assert event.new_text == "db-01"
    assert Change.objects.get(pk=change.pk).version == change.version + 1


def test_each_cab_member_gets_an_email_with_a_link_to_decide(team, mailoutbox):
    from servicedesk.notifications import deliver_pending

    manager, owner, cab = team
    assess(raise_change(owner, reason="Out of support.", **PLANS), owner, "high")
    deliver_pending()
    to = sorted(message.to[0] for message in mailoutbox)
    assert to == sorted(member.email for member in cab)
    body = mailoutbox[0].body
    assert "/portal/approve/" in body
    assert "Out of support." in body
