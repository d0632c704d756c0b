"""SLA definitions through the API: calendars with their week and holidays, policies with their
targets, escalation rules. Bad input gets field messages in the house error shape and saves
nothing; saving a definition recomputes the open timers that use it; agents read, only
administrators write.

Own calendar (Monday to Friday 09:00-18:00 UTC) and policy; `at(day, hour)` is in March 2025.
"""

from types import SimpleNamespace

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.roles import Role
from sla.models import Calendar, EscalationRule, Metric, SlaPolicy, SlaTarget
from tests.factories import UserFactory
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident
from tests.sla.factories import at, calendar_5x9, policy, switch_off_defaults, timer

pytestmark = pytest.mark.django_db

CALENDARS, POLICIES, RULES = "/api/v1/sla/calendars/", "/api/v1/sla/policies/", "/api/v1/sla/rules/"
FIVE_BY_NINE = [{"weekday": day, "start": "09:00", "end": "18:00"} for day in range(5)]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_api(db):
    return api(UserFactory(role=Role.ADMINISTRATOR))


@pytest.fixture
def calendar(db):
    switch_off_defaults()
    return calendar_5x9()


@pytest.fixture
def monday_ten(calendar):
    """An incident logged on Monday 3 March 10:00 under a 60/480-minute policy; the clock stays
    there for the test."""
    standard = policy("Standard", calendar=calendar)
    agent = AgentFactory()
    with time_machine.travel(at(3, 10), tick=False):
        record = incident(actor=agent, support_group=SupportGroupFactory(members=[agent]))
        yield SimpleNamespace(record=record, policy=standard)


# --- Calendars ----------------------------------------------------------------------------------


def test_an_administrator_creates_a_calendar_with_its_week_and_holidays(admin_api):
    response = admin_api.post(
        CALENDARS,
        {
            "name": "Tehran desk",
            "time_zone": "Asia/Tehran",
            "country": "ir",
            "hours": [
                {"weekday": day, "start": "08:00", "end": "16:00"} for day in (5, 6, 0, 1, 2)
            ],
            "holidays": [{"date": "2025-03-21", "name": "Nowruz"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    created = Calendar.objects.get(name="Tehran desk")
    assert created.country == "IR"
    assert created.hours.count() == 5
    assert [str(h.date) for h in created.holidays.all()] == ["2025-03-21"]
    assert response.json()["hours"][0] == {"weekday": 0, "start": "08:00:00", "end": "16:00:00"}


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([], "no working time"),
        ([{"weekday": 0, "start": "18:00", "end": "09:00"}], "does not end after it starts"),
        (
            [
                {"weekday": 0, "start": "09:00", "end": "13:00"},
                {"weekday": 0, "start": "12:00", "end": "18:00"},
            ],
            "overlap",
        ),
    ],
    ids=["empty week", "inverted", "overlapping"],
)
def test_an_unusable_week_is_refused_with_the_calendars_message(admin_api, hours, message):
    response = admin_api.post(
        CALENDARS, {"name": "Broken", "time_zone": "UTC", "hours": hours}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some fields need attention."
    assert message in " ".join(body["errors"]["hours"]).lower()
    assert not Calendar.objects.filter(name="Broken").exists()


def test_a_holiday_that_is_not_a_date_is_refused(admin_api):
    response = admin_api.post(
        CALENDARS,
        {"name": "Broken", "hours": FIVE_BY_NINE, "holidays": [{"date": "next Friday"}]},
        format="json",
    )

    assert response.status_code == 400
    # DRF keys a list's errors by the row's position.
    assert "Date has wrong format" in response.json()["errors"]["holidays"]["0"]["date"][0]
    assert not Calendar.objects.filter(name="Broken").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("time_zone", "Mars/Olympus", "not a time zone"), ("country", "XX", "No public holiday")],
)
def test_an_unknown_time_zone_or_country_is_refused(admin_api, field, value, message):
    response = admin_api.post(
        CALENDARS, {"name": "Broken", "hours": FIVE_BY_NINE, field: value}, format="json"
    )

    assert response.status_code == 400
    assert message in response.json()["errors"][field][0]


def test_a_24x7_calendar_needs_no_week(admin_api):
    response = admin_api.post(CALENDARS, {"name": "Always", "always_open": True}, format="json")

    assert response.status_code == 201
    assert Calendar.objects.get(name="Always").always_open


def test_editing_a_calendars_week_moves_the_open_timers_due_times(
    admin_api, calendar, monday_ten, django_capture_on_commit_callbacks
):
    record = monday_ten.record
    assert timer(record, Metric.RESOLUTION).due_at == at(3, 18)

    # Monday becomes a half day (09:00-13:00): 3 hours on Monday, 5 on Tuesday.
    week = [{"weekday": 0, "start": "09:00", "end": "13:00"}, *FIVE_BY_NINE[1:]]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch(f"{CALENDARS}{calendar.pk}/", {"hours": week}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert timer(record, Metric.RESOLUTION).due_at == at(4, 14)


def test_a_calendar_used_by_targets_cannot_be_deleted(admin_api, calendar):
    policy("Standard", calendar=calendar)

    response = admin_api.delete(f"{CALENDARS}{calendar.pk}/")

    assert response.status_code == 409
    assert "Targets use this calendar" in response.json()["detail"]
    assert Calendar.objects.filter(pk=calendar.pk).exists()


# --- Policies -----------------------------------------------------------------------------------


def test_an_administrator_creates_a_policy_with_its_targets(admin_api, calendar):
    response = admin_api.post(
        POLICIES,
        {
            "name": "Gold",
            "priority": 2,
            "precedence": 5,
            "pause_on": ["customer"],
            "targets": [
                {"metric": "first_response", "minutes": 30, "calendar": calendar.pk},
                {"metric": "resolution", "minutes": 240, "calendar": calendar.pk},
                {"metric": "update", "minutes": 120, "calendar": calendar.pk},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    gold = SlaPolicy.objects.get(name="Gold")
    assert {(t.metric, t.minutes) for t in gold.targets.all()} == {
        ("first_response", 30), ("resolution", 240), ("update", 120),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"targets": []}, "targets", "at least one target"),
        ({"targets": None}, "targets", "may not be null"),
        ({"kind": "ola"}, "support_group", "An OLA is agreed with a support group"),
        ({"kind": "uc", "supplier": "Acme"}, "supplier", "names a supplier and a service"),
        ({"target_metric": "group_hold"}, "targets", "not measured by an SLA"),
        ({"target_minutes": 0}, "targets", "greater than or equal to 1"),
        ({"duplicate": True}, "targets", "one target only"),
    ],
)
def test_a_bad_policy_is_refused_and_nothing_saved(admin_api, calendar, changes, field, message):
    target = {
        "metric": changes.pop("target_metric", "resolution"),
        "minutes": changes.pop("target_minutes", 60),
        "calendar": calendar.pk,
    }
    body = {"name": "Bad", "targets": [target] * (2 if changes.pop("duplicate", False) else 1)}
    body.update(changes)

    response = admin_api.post(POLICIES, body, format="json")

    assert response.status_code == 400
    assert message in str(response.json()["errors"][field])
    assert not SlaPolicy.objects.filter(name="Bad").exists()
    assert not SlaTarget.objects.filter(policy__name="Bad").exists()


def test_a_shorter_target_through_the_api_re_targets_open_timers(
    admin_api, calendar, monday_ten, django_capture_on_commit_callbacks
):
    record, standard = monday_ten.record, monday_ten.policy
    targets = [
        {"metric": "first_response", "minutes": 60, "calendar": calendar.pk},
        {"metric": "resolution", "minutes": 120, "calendar": calendar.pk},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch(f"{POLICIES}{standard.pk}/", {"targets": targets}, format="json")

    assert response.status_code == 200, response.json()
    assert timer(record, Metric.RESOLUTION).due_at == at(3, 12)


def test_a_policy_with_timers_cannot_be_deleted(admin_api, calendar):
    standard = policy("Standard", calendar=calendar)
    agent = AgentFactory()
    incident(actor=agent, support_group=SupportGroupFactory(members=[agent]))

    response = admin_api.delete(f"{POLICIES}{standard.pk}/")

    assert response.status_code == 409
    assert "deactivate it instead" in response.json()["detail"]


# --- Rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"percent": 1001}, "percent", "less than or equal to 1000"),
        ({"percent": 0}, "percent", "greater than or equal to 1"),
        ({"percent": 50, "offset_minutes": -30}, "percent", "one condition"),
        ({}, "percent", "one condition"),
        ({"percent": 80, "action": "reassign"}, "support_group", "Choose the group"),
        ({"percent": 80, "action": "notify_role"}, "role", "Choose the role"),
    ],
)
def test_a_bad_rule_is_refused(admin_api, calendar, body, field, message):
    body = {"name": "Bad", "metric": "resolution", "action": "notify_assignee", **body}

    response = admin_api.post(RULES, body, format="json")

    assert response.status_code == 400
    assert message in str(response.json()["errors"][field])
    assert not EscalationRule.objects.filter(name="Bad").exists()


def test_a_new_rule_reschedules_the_open_timers_it_applies_to(
    admin_api, monday_ten, django_capture_on_commit_callbacks
):
    record = monday_ten.record
    assert timer(record, Metric.RESOLUTION).next_check_at == at(3, 18)

    half_way = {"name": "Half way", "metric": "resolution", "percent": 50,
                "action": "notify_assignee"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(RULES, half_way, format="json")

    assert response.status_code == 201, response.json()
    assert timer(record, Metric.RESOLUTION).next_check_at == at(3, 14)


# --- Who may ------------------------------------------------------------------------------------


def test_agents_read_the_definitions_but_cannot_change_them(calendar):
    agent = api(AgentFactory())

    listed = agent.get(CALENDARS)
    refused = agent.post(CALENDARS, {"name": "Mine", "hours": FIVE_BY_NINE}, format="json")

    assert listed.status_code == 200
    assert calendar.name in [row["name"] for row in listed.json()["results"]]
    assert refused.status_code == 403
    assert not Calendar.objects.filter(name="Mine").exists()


def test_end_users_see_no_definitions(calendar):
    assert api(UserFactory(role=Role.END_USER)).get(POLICIES).status_code == 403
