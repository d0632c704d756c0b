"""The one write path of the SLA definitions (sla.services.definitions): the admin, the API and
the service itself save a calendar, a policy or a rule the same way, with the same checks, one
audit row and the open timers that use it recomputed; bad input is refused with a clear message
and nothing saved; a stale version is refused.

Own calendar (Monday to Friday 09:00-18:00 UTC) and policy (first response 60 minutes,
resolution 480), defaults switched off; `at(day, hour, minute)` is an instant of March 2025.
"""

from datetime import time
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from catalogue.demo import _request_policy
from servicedesk.actors import system_actor
from servicedesk.exceptions import StaleVersion
from sla import services as sla
from sla.models import (
    Calendar,
    DefinitionAction,
    DefinitionChange,
    EscalationRule,
    Metric,
    PendingRecompute,
    SlaPolicy,
)
from tests.factories import UserFactory
from tests.incidents.factories import AgentFactory, EndUserFactory, SupportGroupFactory, incident
from tests.sla.factories import at, calendar_5x9, policy, switch_off_defaults, timer

pytestmark = pytest.mark.django_db

RES = Metric.RESOLUTION
# Monday becomes 09:00-13:00 and 14:00-18:00, the other days stay 09:00-18:00.
LUNCH_WEEK = [
    {"weekday": 0, "start": time(9), "end": time(13)},
    {"weekday": 0, "start": time(14), "end": time(18)},
    *({"weekday": day, "start": time(9), "end": time(18)} for day in range(1, 5)),
]


@pytest.fixture
def clock():
    with time_machine.travel(at(3, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(db, clock):
    switch_off_defaults()
    agent = AgentFactory()
    calendar = calendar_5x9()
    return SimpleNamespace(
        agent=agent,
        admin=UserFactory(is_staff=True, is_superuser=True),
        requester=EndUserFactory(),
        group=SupportGroupFactory(members=[agent]),
        calendar=calendar,
        standard=policy("Standard", calendar=calendar),
    )


@pytest.fixture
def running(desk, clock):
    """An incident logged Monday 10:00: resolution due Monday 18:00; now 10:45."""
    clock.move_to(at(3, 10))
    record = incident(
        actor=desk.agent, support_group=desk.group, assignee=desk.agent, requester=desk.requester
    )
    assert timer(record, RES).due_at == at(3, 18)
    clock.move_to(at(3, 10, 45))
    return record


def admin_calendar_form(calendar, week):
    """The admin change form's POST for `calendar` with `week` replacing its working hours."""
    existing = list(calendar.hours.order_by("weekday", "start"))
    data = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "country": "",
        "hours-TOTAL_FORMS": str(len(existing) + len(week)),
        "hours-INITIAL_FORMS": str(len(existing)),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for n, row in enumerate(existing):  # the old rows deleted, the week added as new rows
        data.update({f"hours-{n}-id": row.pk, f"hours-{n}-calendar": calendar.pk,
                     f"hours-{n}-weekday": row.weekday, f"hours-{n}-start": "09:00",
                     f"hours-{n}-end": "18:00", f"hours-{n}-DELETE": "on"})  # fmt: skip
    for n, row in enumerate(week, start=len(existing)):
        data.update({f"hours-{n}-id": "", f"hours-{n}-calendar": calendar.pk,
                     f"hours-{n}-weekday": row["weekday"],
                     f"hours-{n}-start": row["start"].strftime("%H:%M"),
                     f"hours-{n}-end": row["end"].strftime("%H:%M")})  # fmt: skip
    return data


def edit_in_the_admin(desk, client):
    client.force_login(desk.admin)
    response = client.post(
        f"/admin/sla/calendar/{desk.calendar.pk}/change/",
        admin_calendar_form(desk.calendar, LUNCH_WEEK),
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def edit_through_the_api(desk, client):
    api = APIClient()
    api.force_authenticate(desk.admin)
    week = [{**row, "start": f"{row['start']:%H:%M}", "end": f"{row['end']:%H:%M}"}
            for row in LUNCH_WEEK]  # fmt: skip
    response = api.patch(
        f"/api/v1/sla/calendars/{desk.calendar.pk}/", {"hours": week, "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()


def edit_with_the_service(desk, client):
    sla.calendar_update(
        calendar_id=desk.calendar.pk, actor=desk.admin, changes={}, hours=LUNCH_WEEK, version=1
    )


@pytest.mark.parametrize(
    "edit",
    [edit_in_the_admin, edit_through_the_api, edit_with_the_service],
    ids=["admin", "api", "service"],
)
def test_editing_a_calendar_recomputes_a_running_timer_the_same_way_everywhere(
    desk, running, client, edit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        edit(desk, client)

    # 45 min spent by 10:45, 435 left: 135 until 13:00, 240 from 14:00 to 18:00, 60 on Tuesday.
    assert timer(running, RES).due_at == at(4, 10)
    desk.calendar.refresh_from_db()
    assert desk.calendar.version == 2
    assert not PendingRecompute.objects.exists()  # the worker did it after the commit
    (change,) = DefinitionChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Calendar), object_id=desk.calendar.pk
    )
    assert (change.action, change.actor, change.name) == ("changed", desk.admin, "Desk 5x9")
    old, new = change.changes["hours"]
    assert [0, "09:00", "18:00"] in old
    assert [row for row in new if row[0] == 0] == [[0, "09:00", "13:00"], [0, "14:00", "18:00"]]
    assert set(change.changes) == {"hours"}


def test_saving_a_calendar_unchanged_changes_nothing(desk, running):
    sla.calendar_update(calendar_id=desk.calendar.pk, actor=desk.admin, changes={})

    desk.calendar.refresh_from_db()
    assert desk.calendar.version == 1
    assert not DefinitionChange.objects.exists()
    assert not PendingRecompute.objects.exists()


def test_a_stale_version_is_refused_and_nothing_changes(desk, running):
    sla.calendar_update(
        calendar_id=desk.calendar.pk, actor=desk.admin, changes={"name": "Renamed"}, version=1
    )

    with pytest.raises(StaleVersion):
        sla.calendar_update(
            calendar_id=desk.calendar.pk, actor=desk.agent, changes={}, hours=[], version=1
        )
    assert desk.calendar.hours.count() == 5


def test_a_stale_version_through_the_api_is_a_409(desk):
    api = APIClient()
    api.force_authenticate(desk.admin)
    url = f"/api/v1/sla/policies/{desk.standard.pk}/"

    first = api.patch(url, {"precedence": 7, "version": 1}, format="json")
    second = api.patch(url, {"precedence": 8, "version": 1}, format="json")

    assert first.status_code == 200, first.json()
    assert first.json()["version"] == 2
    assert second.status_code == 409
    assert "Somebody else changed" in second.json()["detail"]
    assert SlaPolicy.objects.get(pk=desk.standard.pk).precedence == 7


@pytest.mark.parametrize(
    ("hours", "field", "message"),
    [
        ([], "hours", "no working time"),
        ([{"weekday": 0, "start": time(18), "end": time(9)}], "hours", "does not end after"),
        (
            [{"weekday": 0, "start": time(9), "end": time(13)},
             {"weekday": 0, "start": time(12), "end": time(18)}],
            "hours",
            "overlap",
        ),
        ([{"weekday": 9, "start": time(9), "end": time(18)}], "hours", "weekday"),
        ([{"weekday": 0, "start": time(9)}], "hours", "end"),
    ],
    ids=["empty", "inverted", "overlapping", "no such day", "row not whole"],
)  # fmt: skip
def test_a_bad_week_is_refused_with_a_clear_message_and_nothing_saved(desk, hours, field, message):
    with pytest.raises(ValidationError) as refused:
        sla.calendar_create(actor=desk.admin, fields={"name": "Broken"}, hours=hours)

    assert message in " ".join(refused.value.message_dict[field]).lower()
    assert not Calendar.objects.filter(name="Broken").exists()
    assert not DefinitionChange.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "Desk 5x9"}, "name", "already exists"),
        ({"name": "Mars", "time_zone": "Mars/Olympus"}, "time_zone", "not a time zone"),
        ({"name": "Nowhere", "country": "xx"}, "country", "No public holiday calendar"),
        ({"name": "Odd", "colour": "blue"}, "colour", "cannot be set here"),
    ],
)
def test_bad_calendar_fields_are_refused_by_field(desk, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        sla.calendar_create(actor=desk.admin, fields=fields, hours=LUNCH_WEEK)

    assert message in " ".join(refused.value.message_dict[field])
    assert not Calendar.objects.filter(name=fields["name"]).exclude(pk=desk.calendar.pk).exists()


def test_a_holiday_twice_is_refused(desk):
    day = {"date": at(10, 0).date(), "name": "Holiday"}

    with pytest.raises(ValidationError) as refused:
        sla.calendar_create(
            actor=desk.admin, fields={"name": "Twice"}, hours=LUNCH_WEEK, holidays=[day, day]
        )

    assert refused.value.message_dict["holidays"] == ["A date is listed twice."]


def test_a_policy_checked_whole_and_audited(desk):
    with pytest.raises(ValidationError) as refused:
        sla.policy_create(
            actor=desk.admin,
            fields={"name": "Group hold", "kind": "sla"},
            targets=[{"metric": Metric.GROUP_HOLD, "minutes": 60, "calendar": desk.calendar}],
        )
    assert "not measured by an SLA" in " ".join(refused.value.message_dict["targets"])

    created = sla.policy_create(
        actor=desk.admin,
        fields={"name": "Gold", "precedence": 10},
        targets=[{"metric": RES, "minutes": 120, "calendar": desk.calendar.pk}],
    )

    change = DefinitionChange.objects.get(object_id=created.pk, action=DefinitionAction.CREATED)
    assert change.changes["targets"] == [None, [["resolution", 120, desk.calendar.pk]]]
    assert change.actor == desk.admin


def test_a_shorter_target_re_targets_the_running_timer(
    desk, running, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sla.policy_update(
            policy_id=desk.standard.pk,
            actor=desk.admin,
            changes={},
            targets=[
                {"metric": Metric.FIRST_RESPONSE, "minutes": 60, "calendar": desk.calendar},
                {"metric": RES, "minutes": 120, "calendar": desk.calendar},
            ],
        )

    assert timer(running, RES).due_at == at(3, 12)
    assert SlaPolicy.objects.get(pk=desk.standard.pk).version == 2


def test_deleting_a_rule_is_audited_and_reschedules_its_timers(
    desk, running, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rule = sla.rule_create(
            actor=desk.admin,
            fields={"name": "Half way", "metric": RES, "percent": 50, "action": "notify_assignee"},
        )
    assert timer(running, RES).next_check_at == at(3, 14)

    with django_capture_on_commit_callbacks(execute=True):
        sla.rule_delete(rule_id=rule.pk, actor=desk.admin)

    assert timer(running, RES).next_check_at == at(3, 18)
    assert not EscalationRule.objects.filter(pk=rule.pk).exists()
    actions = DefinitionChange.objects.filter(object_id=rule.pk).order_by("id")
    assert [c.action for c in actions] == ["created", "deleted"]


def test_a_calendar_in_use_is_refused_with_a_409_message(desk):
    with pytest.raises(sla.DefinitionInUse) as refused:
        sla.calendar_delete(calendar_id=desk.calendar.pk, actor=desk.admin)

    assert refused.value.status_code == 409
    assert Calendar.objects.filter(pk=desk.calendar.pk).exists()
    assert not DefinitionChange.objects.exists()  # rolled back with the refused delete


def test_a_bad_policy_in_the_admin_shows_the_services_message(desk, client):
    client.force_login(desk.admin)
    data = {
        "name": "Gold", "kind": "sla", "record_type": "incident", "precedence": "10",
        "supplier": "", "pause_on": "[]", "is_active": "on",
        "targets-TOTAL_FORMS": "1", "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "1", "targets-MAX_NUM_FORMS": "1000",
        "targets-0-metric": "group_hold", "targets-0-minutes": "60",
        "targets-0-calendar": str(desk.calendar.pk), "_save": "Save",
    }  # fmt: skip

    response = client.post("/admin/sla/slapolicy/add/", data)

    assert response.status_code == 200
    assert "is not measured by an" in response.content.decode()
    assert not SlaPolicy.objects.filter(name="Gold").exists()

    data["targets-0-metric"] = "resolution"
    response = client.post("/admin/sla/slapolicy/add/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    gold = SlaPolicy.objects.get(name="Gold")
    assert list(gold.targets.values_list("metric", "minutes")) == [("resolution", 60)]
    assert DefinitionChange.objects.get(object_id=gold.pk).actor == desk.admin


def test_the_demo_policy_goes_through_the_service_and_loads_twice_the_same(desk):
    first = _request_policy()
    second = _request_policy()

    assert first is not None and second is not None
    assert first.pk == second.pk
    assert sorted(first.targets.values_list("metric", "minutes")) == [
        ("first_response", 240),
        ("resolution", 27 * 60),
    ]
    (created,) = DefinitionChange.objects.filter(object_id=first.pk)  # the second saw no change
    assert (created.action, created.actor) == ("created", system_actor())
