"""The change KPIs computed on a known set of changes: on planned time, first-time success,
emergency share, unauthorised CMDB changes (from the CIs' audit rows), changes that caused
incidents, the backlog by age, the CAB's decision time; and the page that shows them on the
dashboards to a change manager and a desk manager."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from changes.choices import ChangeStatus as S
from changes.kpis import change_kpis
from changes.models import Change
from cmdb.models import ConfigurationItem
from servicedesk.actors import system_actor
from servicedesk.models import ApprovalSet, AuditEvent, LinkKind, RecordLink
from tests.changes.factories import PLANS, people, raise_change
from tests.cmdb.factories import make_ci
from tests.factories import UserFactory
from tests.incidents.factories import incident

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
M5 = timedelta(minutes=5)


def done(owner, *, now, planned_at, actual_start, actual_end, outcome="successful", **fields):
    """A change implemented and closed, its windows relative to `now`."""
    change = raise_change(owner, **PLANS)
    Change.objects.filter(pk=change.pk).update(
        status=S.CLOSED, planned_start=now + planned_at, planned_end=now + planned_at + 2 * H,
        actual_start=now + actual_start, actual_end=now + actual_end, outcome=outcome,
        closed_at=now + actual_end + H, **fields,
    )  # fmt: skip
    change.refresh_from_db()
    return change


def ci_edit(ci, at, field="status", kind="field_changed"):
    event = AuditEvent.objects.create(
        content_type=ContentType.objects.get_for_model(ConfigurationItem), object_id=ci.pk,
        actor=system_actor(), kind=kind, field=field, old_text="a", new_text="b", public=False,
    )  # fmt: skip
    AuditEvent.objects.filter(pk=event.pk).update(created_at=at)


def decided(change, asked, took, *, rule="group_quorum", status="approved"):
    row = ApprovalSet.objects.create(
        content_type=ContentType.objects.get_for_model(Change), object_id=change.pk,
        rule=rule, quorum=1, status=status, decided_at=asked + took if took else None,
    )  # fmt: skip
    ApprovalSet.objects.filter(pk=row.pk).update(created_at=asked)


@pytest.fixture
def estate():
    _manager, owner, _cab = people()
    now = timezone.now().replace(microsecond=0)
    day = timedelta(days=1)
    x, y = make_ci("db-01"), make_ci("web-01")
    # Implemented in the period: on time; started early; overran (10, 9 and 8 days ago).
    on_time = done(owner, now=now, planned_at=-10 * day, actual_start=-10 * day + M5,
                   actual_end=-10 * day + H)  # fmt: skip
    early = done(owner, now=now, planned_at=-9 * day, actual_start=-9 * day - H,
                 actual_end=-9 * day + H, outcome="successful_with_issues")  # fmt: skip
    overran = done(owner, now=now, planned_at=-8 * day, actual_start=-8 * day,
                   actual_end=-8 * day + 3 * H, outcome="failed",
                   review_incidents="INC0000042 (slow pages)")  # fmt: skip
    # Long ago: outside the 90 days whatever it says.
    old = done(owner, now=now, planned_at=-100 * day, actual_start=-100 * day,
               actual_end=-100 * day + H, change_type="emergency")  # fmt: skip
    Change.objects.filter(pk=old.pk).update(created_at=now - 101 * day)
    on_time.configuration_items.add(x)
    # Open: an emergency raised today, a normal one raised 40 days ago still assessed.
    emergency = raise_change(owner, **PLANS, change_type="emergency")
    waiting = raise_change(owner, **PLANS)
    Change.objects.filter(pk=waiting.pk).update(status=S.ASSESSED, created_at=now - 40 * day)
    # A requested (not authorised) change on web-01 whose planned window holds an edit.
    Change.objects.filter(pk=emergency.pk).update(
        planned_start=now - 5 * day, planned_end=now - 5 * day + 2 * H
    )
    emergency.configuration_items.add(y)
    # An incident caused by the early one.
    caused = incident()
    RecordLink.objects.create(
        source_type=ContentType.objects.get_for_model(caused), source_id=caused.pk,
        target_type=ContentType.objects.get_for_model(Change), target_id=early.pk,
        kind=LinkKind.CAUSED_BY,
    )  # fmt: skip
    # The CMDB: db-01 edited inside on_time's actual window (covered) and two days later
    # (not), web-01 edited inside the requested change's planned window (not covered), a CI
    # created (not an edit), an edit long ago (outside).
    ci_edit(x, now - 10 * day + 6 * M5)
    ci_edit(x, now - 8 * day, field="attributes.version")
    ci_edit(y, now - 5 * day + H)
    ci_edit(y, now - 5 * day, kind="created", field="")
    ci_edit(y, now - 120 * day)
    # The CAB: decisions after 1, 2 and 6 hours; one waiting; one long ago.
    decided(on_time, now - 12 * day, H)
    decided(early, now - 12 * day, 2 * H, rule="group_any")
    decided(overran, now - 12 * day, 6 * H, status="rejected")
    decided(emergency, now - day, None, status="pending")
    decided(old, now - 110 * day, 50 * H)
    # Measured once all is written (the changes raised today were created after `now`).
    return timezone.now(), {"on_time": on_time, "early": early, "overran": overran, "x": x, "y": y}


def test_the_kpis_of_the_last_90_days(estate):
    now, made = estate
    k = change_kpis(days=90, now=now)

    assert (k.on_time.part, k.on_time.whole, k.on_time.percent) == (1, 3, 33.3)
    assert (k.first_time_success.part, k.first_time_success.whole) == (1, 3)
    assert k.outcomes == {"successful": 1, "successful_with_issues": 1, "failed": 1}
    # Raised in the period: the three implemented, the emergency, the one assessed 40 days ago.
    assert (k.emergency.part, k.emergency.whole, k.emergency.percent) == (1, 5, 20.0)
    assert (k.unauthorised_cis, k.unauthorised_edits) == (2, 2)
    assert [row["ci_name"] for row in k.unauthorised_latest] == ["web-01", "db-01"]
    assert k.unauthorised_latest[1]["field"] == "attributes.version"
    # The early one has a caused-by link, the overrun one's review names an incident.
    assert (k.caused_incidents.part, k.caused_incidents.whole) == (2, 3)
    assert k.incidents_caused == 1
    assert k.backlog_total == 2
    assert k.backlog[S.REQUESTED] == {"under_7": 1}
    assert k.backlog[S.ASSESSED] == {"30_90": 1}
    assert k.decision_rounds == 3
    assert k.decision_median == 2 * H
    assert k.decision_mean == 3 * H
    assert k.decision_by_rule == {
        "group_any": (1, 2 * H),
        "group_quorum": (2, timedelta(hours=3.5)),
    }


def test_a_longer_period_counts_the_old_change(estate):
    now, _made = estate
    k = change_kpis(days=365, now=now)
    assert (k.on_time.part, k.on_time.whole) == (2, 4)
    assert (k.emergency.part, k.emergency.whole) == (2, 6)
    assert (k.unauthorised_cis, k.unauthorised_edits) == (2, 3)
    assert k.decision_rounds == 4


def test_an_empty_period_has_no_ratios():
    k = change_kpis(days=30)
    assert k.on_time.percent is None and k.first_time_success.percent is None
    assert k.emergency.percent is None and k.decision_median is None
    assert k.backlog_total == 0


def test_change_and_desk_managers_see_them_on_the_dashboards(estate):
    manager = UserFactory(role=Role.DESK_MANAGER)
    client = Client()
    client.force_login(manager)
    board = client.get("/dashboards/").content.decode()
    assert 'href="/changes/kpis/"' in board
    assert 'data-test="change-kpis-panel"' in board  # the SLA dashboard's panel, 30 days
    assert 'data-kpi="unauthorised">2<' in board  # the two uncovered edits, 5 and 8 days ago
    page = client.get("/changes/kpis/", {"days": "90"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kpi="on-time">33.3%' in html
    assert 'data-kpi="emergency">20.0%' in html
    assert 'data-kpi="unauthorised">2<' in html
    assert "web-01" in html
    client.force_login(UserFactory(role=Role.CHANGE_MANAGER))
    queue = client.get("/changes/").content.decode()
    assert 'href="/changes/kpis/"' in queue
    assert 'data-kpi="success">33.3%' in client.get("/changes/kpis/").content.decode()


def test_end_users_cannot_read_them(end_user):
    client = Client()
    client.force_login(end_user)
    assert client.get("/changes/kpis/").status_code == 403
