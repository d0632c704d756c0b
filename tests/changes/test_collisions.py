"""Collisions through the CMDB and blackouts: the change on the server's storage two hops away
is found with its path, one beyond the policy's depth or outside the window is not; blackouts
on everything, on a named service or on a service reached refuse a normal change with their
reason and only warn an emergency; maintenance windows reached are collisions; the CAB and
the implementers get a work note."""

from datetime import timedelta

import pytest
from django.db import transaction

from catalogue.models import Service
from changes import services
from changes.choices import ChangeStatus as S
from changes.collisions import Kind, collision_json, collisions_for
from changes.models import BlackoutWindow, Change, MaintenanceWindow, SchedulingPolicy
from servicedesk.approvals.services import approval_decide
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.models import ApprovalSet, Comment
from tests.changes.factories import PLANS, people, questionnaire, raise_change, window
from tests.cmdb.factories import make_ci, relate

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return people()


@pytest.fixture
def estate():
    """db-01 runs on srv-01, which depends on san-01; payroll (a business service) needs db-01;
    core-sw connects san-01 (three hops from db-01)."""
    service = Service.objects.create(name="Payroll")
    cis = {
        "db": make_ci("db-01", "database", attributes={"engine": "PostgreSQL"}),
        "srv": make_ci("srv-01", "server"),
        "san": make_ci("san-01", "storage"),
        "core": make_ci("core-sw", "network_device"),
        "payroll": make_ci("Payroll service", "business_service", service=service),
    }
    relate(cis["db"], cis["srv"], "runs_on")
    relate(cis["srv"], cis["san"], "depends_on")
    relate(cis["san"], cis["core"], "connected_to")
    relate(cis["payroll"], cis["db"], "depends_on")
    return cis, service


def scheduled_change(owner, ci, *, status=S.SCHEDULED, **fields):
    """Another change already in the calendar (written directly: only its window, status and
    CIs matter here)."""
    fields = {**window(), **fields}
    change = raise_change(owner, **PLANS, **fields)
    Change.objects.filter(pk=change.pk).update(status=status)
    change.configuration_items.add(ci)
    return change


def move(change, target, actor):
    change.refresh_from_db()
    return services.change_transition(change_id=change.pk, actor=actor, target=target)


def authorised(owner, manager, cis, **fields):
    change = raise_change(owner, **PLANS, **{**window(), **fields}, configuration_items=cis)
    services.change_risk_assess(change_id=change.pk, actor=owner, answers=questionnaire()["low"])
    move(change, S.ASSESSED, owner)
    approval = ApprovalSet.objects.get(object_id=change.pk, status="pending").approvals.first()
    approval_decide(approval_id=approval.pk, actor=manager, approve=True)
    change.refresh_from_db()
    return change


def test_a_change_on_the_servers_storage_two_hops_away_collides_with_its_path(team, estate):
    _manager, owner, _cab = team
    cis, _service = estate
    other = scheduled_change(owner, cis["san"], title="Firmware on the SAN")
    change = raise_change(owner, **PLANS, **window(), configuration_items=[cis["db"]])

    (collision,) = collisions_for(change)

    assert collision.kind == Kind.CHANGE and collision.change == other
    shown = [s.ci.name if s.ci else s.relation for s in collision.steps]
    assert shown == ["db-01", "runs on", "srv-01", "depends on", "san-01"]
    assert collision.hops == 2
    data = collision_json(collision)
    assert data["change"]["number"] == other.number
    assert data["path"][1] == {"relation": "runs on"}


def test_the_same_ci_collides_with_no_hop_and_the_policy_depth_bounds_the_search(team, estate):
    _manager, owner, _cab = team
    cis, _service = estate
    same = scheduled_change(owner, cis["db"], title="Index rebuild")
    far = scheduled_change(owner, cis["core"], title="Core switch upgrade")  # three hops
    change = raise_change(owner, **PLANS, **window(), configuration_items=[cis["db"]])

    found = {c.change: c.hops for c in collisions_for(change)}
    assert found == {same: 0, far: 3}

    SchedulingPolicy.objects.update_or_create(pk=1, defaults={"collision_depth": 2})
    assert {c.change for c in collisions_for(change)} == {same}


def test_changes_outside_the_window_or_finished_do_not_collide(team, estate):
    _manager, owner, _cab = team
    cis, _service = estate
    mine = window(days=3)
    later = {
        "planned_start": mine["planned_end"],
        "planned_end": mine["planned_end"] + timedelta(hours=1),
    }
    scheduled_change(owner, cis["db"], **later)  # starts when mine ends
    scheduled_change(owner, cis["db"], status=S.CANCELLED)
    scheduled_change(owner, cis["db"], status=S.CLOSED)
    change = raise_change(owner, **PLANS, **mine, configuration_items=[cis["db"]])
    assert collisions_for(change) == []
    assert collisions_for(raise_change(owner, **PLANS, configuration_items=[cis["db"]])) == []


def test_a_blackout_on_a_service_the_cis_reach_refuses_a_normal_change_with_its_reason(
    team, estate
):
    manager, owner, _cab = team
    cis, service = estate
    change = authorised(owner, manager, [cis["san"]])
    BlackoutWindow.objects.create(
        name="Payroll run",
        reason="Salaries are paid on the 25th.",
        service=service,
        starts_at=change.planned_start - timedelta(days=1),
        ends_at=change.planned_end + timedelta(days=1),
    )

    with pytest.raises(TransitionNotAllowed, match="Salaries are paid on the 25th") as refused:
        move(change, S.SCHEDULED, owner)

    assert "san-01 → used by → srv-01 → hosts → db-01 → used by → Payroll service" in str(
        refused.value
    )
    change.refresh_from_db()
    assert change.status == S.AUTHORISED


def test_a_blackout_on_everything_or_a_named_service_refuses_and_one_elsewhere_does_not(
    team, estate
):
    manager, owner, _cab = team
    cis, service = estate
    elsewhere = Service.objects.create(name="Intranet")
    change = authorised(owner, manager, [cis["core"]])
    span = {
        "starts_at": change.planned_start - timedelta(hours=1),
        "ends_at": change.planned_end,
    }
    BlackoutWindow.objects.create(
        name="Intranet freeze", reason="Launch", service=elsewhere, **span
    )
    move(change, S.SCHEDULED, owner)  # nothing on its path: scheduled

    Change.objects.filter(pk=change.pk).update(status=S.AUTHORISED)
    freeze = BlackoutWindow.objects.create(name="Year end", reason="Closing the books", **span)
    with pytest.raises(TransitionNotAllowed, match="Year end"):
        move(change, S.SCHEDULED, owner)

    freeze.delete()
    change.services.add(elsewhere)
    with pytest.raises(TransitionNotAllowed, match="Intranet freeze"):
        move(change, S.SCHEDULED, owner)


def test_an_emergency_change_in_a_blackout_is_scheduled_with_a_warning_note(team, estate):
    _manager, owner, cab = team
    cis, _service = estate
    change = raise_change(
        owner, change_type="emergency", **PLANS, **window(), configuration_items=[cis["db"]]
    )
    BlackoutWindow.objects.create(
        name="Year end",
        reason="Closing the books",
        starts_at=change.planned_start,
        ends_at=change.planned_end + timedelta(days=3),
    )
    other = scheduled_change(owner, cis["san"], title="Firmware on the SAN")
    move(change, S.ASSESSED, owner)
    for member in cab[:2]:
        approval = ApprovalSet.objects.get(object_id=change.pk, status="pending").approvals.get(
            approver=member
        )
        approval_decide(approval_id=approval.pk, actor=member, approve=True)

    move(change, S.SCHEDULED, owner)

    change.refresh_from_db()
    assert change.status == S.SCHEDULED
    notes = list(Comment.objects.filter(object_id=change.pk, visibility="internal").order_by("pk"))
    assert len(notes) == 2  # for the approvers, then on scheduling
    assert "For the approvers" in notes[0].body and other.number in notes[0].body
    assert "inside a blackout" in notes[1].body and "Closing the books" in notes[1].body


def test_maintenance_windows_of_services_reached_are_collisions(team, estate):
    _manager, owner, _cab = team
    cis, service = estate
    change = raise_change(owner, **PLANS, **window(), configuration_items=[cis["srv"]])
    MaintenanceWindow.objects.create(
        name="Payroll patching",
        service=service,
        starts_at=change.planned_start + timedelta(minutes=30),
        ends_at=change.planned_end + timedelta(hours=4),
    )
    (collision,) = collisions_for(change)
    assert collision.kind == Kind.MAINTENANCE
    assert collision.starts_at == change.planned_start + timedelta(minutes=30)
    assert collision.ends_at == change.planned_end
    assert collision.steps[-1].ci == cis["payroll"]


def test_collisions_cost_a_bounded_number_of_queries(team, estate, django_assert_max_num_queries):
    _manager, owner, _cab = team
    cis, service = estate
    for _n in range(5):
        scheduled_change(owner, cis["san"])
    BlackoutWindow.objects.create(
        name="Freeze", reason="r", service=service, **{
            "starts_at": window()["planned_start"], "ends_at": window()["planned_end"]}
    )  # fmt: skip
    with transaction.atomic():
        change = raise_change(owner, **PLANS, **window(), configuration_items=[cis["db"]])
    change = Change.objects.get(pk=change.pk)
    with django_assert_max_num_queries(20):  # at depth 3, whatever the changes
        found = collisions_for(change)
    assert len(found) == 6


def test_the_change_page_shows_the_collision_and_its_path(team, estate, client):
    _manager, owner, _cab = team
    cis, _service = estate
    other = scheduled_change(owner, cis["san"], title="Firmware on the SAN")
    change = raise_change(owner, **PLANS, **window(), configuration_items=[cis["db"]])
    client.force_login(owner)

    page = client.get(f"/changes/{change.number}/").content.decode()

    card = page[page.index('data-test="collisions"') :]
    assert other.number in card
    path = card[card.index('data-test="collision-path"') :].split("</p>")[0]
    for text in ("db-01", "runs on", "srv-01", "depends on", "san-01"):
        assert text in path
