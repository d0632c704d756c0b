"""Where people meet the SLA engine: the timers API and its filters, `sla_timers` on the incident
API, the "Service levels" card of the incident page, the "breaching" and "breached" queues, and
the admin's validation of calendars and rules (with the pure calendar's own messages) and its
recomputation of open timers when a calendar is saved.

Own calendar (Monday to Friday 09:00-18:00 UTC) and policy (first response 60 minutes,
resolution 480), defaults switched off; `at(day, hour, minute)` is an instant of March 2025.
"""

import re
import uuid
from datetime import datetime, time
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.choices import IncidentStatus
from sla import services as sla
from sla.calendar import BusinessCalendar, CalendarError
from sla.forms import CalendarAdminForm, WorkingHoursFormSet, check_week
from sla.models import Calendar, EscalationRule, Metric, SlaPolicy, WorkingHours
from tests.factories import UserFactory
from tests.incidents.factories import SupportGroupFactory
from tests.incidents.factories import transition as incident_transition
from tests.sla.factories import at, log, reply, timer

S = IncidentStatus
FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION
TIMERS = "/api/v1/sla/timers/"
ROW_NUMBER = re.compile(r">(INC\d{7})</a>")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_cache(settings):
    """A cache of this test's own (the file cache or Redis is shared with other test runs)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"sla-api-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def monday_noon(desk, clock):
    """At Monday 12:00, after a sweep:
    - late: logged 10:00, no reply: first response due 11:00, breached; resolution due 18:00;
    - soon: logged 11:30, no reply: first response due 12:30 (within two hours);
    - calm: logged 11:30, answered 11:40: resolution due Tuesday 10:30;
    - done: logged 10:00, resolved 11:30: its late first response is closed, breached."""
    late = log(desk, clock, at(3, 10))
    done = log(desk, clock, at(3, 10))
    soon = log(desk, clock, at(3, 11, 30))
    calm = log(desk, clock, at(3, 11, 30))
    incident_transition(done, desk.agent, S.RESOLVED)
    clock.move_to(at(3, 11, 40))
    reply(calm, desk.agent)
    clock.move_to(at(3, 12))
    assert sla.sweep() == 1  # late's first response
    return SimpleNamespace(late=late, soon=soon, calm=calm, done=done)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def rows(response):
    assert response.status_code == 200, response.content
    return {(row["object_id"], row["metric"]) for row in response.json()["results"]}


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- The timers API -----------------------------------------------------------------------------


class TestTimersApi:
    def test_staff_list_every_timer(self, desk, monday_noon):
        everything = rows(api(desk.agent).get(TIMERS))

        records = (monday_noon.late, monday_noon.soon, monday_noon.calm, monday_noon.done)
        assert everything == {(r.pk, m) for r in records for m in (FR, RES)}

    def test_filters(self, desk, monday_noon):
        late, soon, calm, done = (monday_noon.late, monday_noon.soon, monday_noon.calm,
                                  monday_noon.done)  # fmt: skip
        client = api(desk.agent)

        assert rows(client.get(TIMERS, {"state": "met"})) == {(calm.pk, FR), (done.pk, RES)}
        assert rows(client.get(TIMERS, {"state": ["met", "breached"]})) == {
            (calm.pk, FR), (done.pk, RES), (done.pk, FR),
        }  # fmt: skip
        assert rows(client.get(TIMERS, {"breached": "true"})) == {(late.pk, FR), (done.pk, FR)}
        assert rows(client.get(TIMERS, {"breached": "true", "state": "running"})) == {(late.pk, FR)}
        assert rows(client.get(TIMERS, {"metric": "first_response", "state": "running"})) == {
            (late.pk, FR), (soon.pk, FR),
        }  # fmt: skip
        assert rows(client.get(TIMERS, {"due_before": "2025-03-03T12:45:00Z",
                                        "state": "running"})) == {
            (late.pk, FR), (soon.pk, FR),
        }  # fmt: skip
        assert rows(client.get(TIMERS, {"due_after": "2025-03-04T00:00:00Z"})) == {
            (soon.pk, RES), (calm.pk, RES),
        }  # fmt: skip
        assert rows(client.get(TIMERS, {"record_type": "incident", "object_id": late.pk})) == {
            (late.pk, FR), (late.pk, RES),
        }  # fmt: skip

    def test_a_row_tells_the_due_time_and_business_minutes_left(self, desk, monday_noon):
        response = api(desk.agent).get(TIMERS, {"object_id": monday_noon.soon.pk, "metric": FR})

        (row,) = response.json()["results"]
        assert row["state"] == "running"
        assert row["policy"] == "Standard"
        assert row["calendar"] == "Desk 5x9"
        assert row["target_minutes"] == 60
        assert when(row["due_at"]) == at(3, 12, 30)
        assert row["business_minutes_left"] == 30
        assert row["breached"] is False

    def test_end_users_and_strangers_are_refused(self, desk, monday_noon, client):
        assert api(desk.requester).get(TIMERS).status_code == 403
        assert client.get(TIMERS).status_code in (401, 403)


def test_the_incident_api_lists_its_timers_with_business_minutes_left(desk, monday_noon):
    client = api(desk.agent)

    late = client.get(f"/api/v1/incidents/{monday_noon.late.number}/").json()["sla_timers"]
    soon = client.get(f"/api/v1/incidents/{monday_noon.soon.number}/").json()["sla_timers"]

    by_metric = {row["metric"]: row for row in late}
    assert by_metric[FR]["breached"] is True
    assert when(by_metric[FR]["breached_at"]) == at(3, 11)
    assert by_metric[FR]["business_minutes_left"] == -60  # an hour over
    assert by_metric[RES]["business_minutes_left"] == 360
    assert when(by_metric[RES]["due_at"]) == at(3, 18)
    assert {row["metric"]: row["business_minutes_left"] for row in soon} == {FR: 30, RES: 450}


# --- The incident page and the queues -----------------------------------------------------------


def test_the_incident_page_shows_the_service_levels_card(desk, monday_noon, client):
    client.force_login(desk.agent)

    page = client.get(f"/incidents/{monday_noon.soon.number}/").content.decode()

    assert "Service levels" in page
    card = page[page.index('id="sla"') :]
    due = timezone.localtime(at(3, 12, 30)).isoformat()
    assert f'<time datetime="{due}">' in card
    assert "Target 60 business minutes" in card
    assert "30 min left" in card
    late = client.get(f"/incidents/{monday_noon.late.number}/").content.decode()
    late_card = late[late.index('id="sla"') :]
    assert "60 min over" in late_card
    assert "timer-bad" in late_card


def test_no_card_without_timers(desk, clock, client):
    SlaPolicy.objects.update(is_active=False)
    record = log(desk, clock, at(3, 10))
    client.force_login(desk.agent)

    page = client.get(f"/incidents/{record.number}/").content.decode()

    assert 'id="sla"' not in page


def test_the_breaching_and_breached_queues(desk, monday_noon, client):
    client.force_login(desk.agent)

    breaching = ROW_NUMBER.findall(
        client.get("/incidents/", {"queue": "breaching"}).content.decode()
    )
    breached = ROW_NUMBER.findall(client.get("/incidents/", {"queue": "breached"}).content.decode())

    assert breaching == [monday_noon.soon.number]
    assert breached == [monday_noon.late.number]


# --- Admin validation ---------------------------------------------------------------------------


def calendar_message(week) -> str:
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(time_zone="UTC", week=week, holidays=frozenset())
    return str(raised.value)


OVERLAPPING = {0: [(time(9), time(13)), (time(12), time(18))]}
INVERTED = {1: [(time(18), time(9))]}
NO_WORK: dict = {}


class TestCheckWeek:
    @pytest.mark.parametrize("week", [OVERLAPPING, INVERTED, NO_WORK], ids=["overlap", "inverted",
                                                                            "empty"])  # fmt: skip
    def test_unusable_weeks_are_refused_with_the_calendars_message(self, week):
        with pytest.raises(ValidationError) as raised:
            check_week(week, time_zone="UTC")

        assert raised.value.messages == [calendar_message(week)]

    def test_a_usable_week_passes(self):
        check_week({0: [(time(9), time(12)), (time(13), time(0))]}, time_zone="Asia/Tehran")


HoursFormSet = inlineformset_factory(
    Calendar, WorkingHours, formset=WorkingHoursFormSet, fields=["weekday", "start", "end"],
    extra=0, can_delete=True,
)  # fmt: skip


def hours_data(*intervals, deleted=()):
    data = {
        "hours-TOTAL_FORMS": str(len(intervals)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for n, (weekday, start, end) in enumerate(intervals):
        data.update({f"hours-{n}-weekday": weekday, f"hours-{n}-start": start,
                     f"hours-{n}-end": end})  # fmt: skip
        if n in deleted:
            data[f"hours-{n}-DELETE"] = "on"
    return data


class TestWorkingHoursFormSet:
    @pytest.mark.parametrize(
        ("intervals", "week"),
        [
            ([(0, "09:00", "13:00"), (0, "12:00", "18:00")], OVERLAPPING),
            ([(1, "18:00", "09:00")], INVERTED),
            ([], NO_WORK),
        ],
        ids=["overlap", "inverted", "empty"],
    )
    def test_refused_with_the_calendars_message(self, db, intervals, week):
        formset = HoursFormSet(hours_data(*intervals), instance=Calendar(name="New"))

        assert not formset.is_valid()
        assert formset.non_form_errors() == [calendar_message(week)]

    def test_deleted_rows_do_not_count(self, db):
        data = hours_data((0, "09:00", "13:00"), (0, "12:00", "18:00"), deleted=[1])

        assert HoursFormSet(data, instance=Calendar(name="New")).is_valid()

    def test_a_24x7_calendar_needs_no_hours(self, db):
        formset = HoursFormSet(hours_data(), instance=Calendar(name="Always", always_open=True))

        assert formset.is_valid()


class TestRuleValidation:
    def rule(self, action="notify_assignee", **fields):
        fields.setdefault("percent", 75)
        return EscalationRule(name="Rule", metric=RES, action=action, **fields)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"percent": 0}, "percent"),
            ({"percent": 1001}, "percent"),
            ({"percent": 50, "offset_minutes": -30}, "percent"),
            ({"percent": None}, "percent"),
            ({"action": "reassign"}, "support_group"),
            ({"action": "notify_role"}, "role"),
            ({"action": "notify_addresses", "addresses": "  \n"}, "addresses"),
        ],
    )
    def test_refused(self, db, fields, field):
        with pytest.raises(ValidationError) as raised:
            self.rule(**fields).full_clean()

        assert field in raised.value.message_dict

    @pytest.mark.parametrize(
        "fields",
        [
            {"percent": 1},
            {"percent": 1000},
            {"percent": None, "offset_minutes": -30},
        ],
    )
    def test_accepted(self, db, fields):
        self.rule(**fields).full_clean()

    def test_reassign_with_a_group_is_accepted(self, db):
        self.rule(action="reassign", support_group=SupportGroupFactory()).full_clean()


class TestCalendarForm:
    def form(self, **data):
        return CalendarAdminForm(data={"name": "Tehran desk", "time_zone": "Asia/Tehran", **data})

    def test_an_unknown_country_is_refused(self, db):
        form = self.form(country="XX")

        assert not form.is_valid()
        assert form.errors["country"] == ["No public holiday calendar for “XX”."]

    def test_a_known_country_is_upper_cased(self, db):
        form = self.form(country="ir")

        assert form.is_valid(), form.errors
        assert form.cleaned_data["country"] == "IR"

    def test_an_unknown_time_zone_is_refused(self, db):
        form = self.form(time_zone="Mars/Olympus_Mons")

        assert not form.is_valid()
        assert "time_zone" in form.errors


# --- Saving a calendar in the admin -------------------------------------------------------------


def admin_data(calendar, hours, extra=()):
    """The change form's POST: the calendar, its working hours (existing rows with new times
    from `hours` {weekday: (start, end)}, plus `extra` new rows) and no holidays."""
    existing = list(calendar.hours.order_by("weekday"))
    data = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "country": "",
        "hours-TOTAL_FORMS": str(len(existing) + len(extra)),
        "hours-INITIAL_FORMS": str(len(existing)),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    rows_ = [(row.pk, row.weekday, *hours.get(row.weekday, ("09:00", "18:00"))) for row in existing]
    rows_ += [("", weekday, start, end) for weekday, start, end in extra]
    for n, (pk, weekday, start, end) in enumerate(rows_):
        data.update({
            f"hours-{n}-id": pk, f"hours-{n}-calendar": calendar.pk,
            f"hours-{n}-weekday": weekday, f"hours-{n}-start": start, f"hours-{n}-end": end,
        })  # fmt: skip
    return data


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_saving_a_calendar_bumps_its_version_and_recomputes_open_timers(
    desk, clock, admin_client, django_capture_on_commit_callbacks
):
    record = log(desk, clock, at(3, 10))
    clock.move_to(at(3, 10, 30))
    reply(record, desk.agent)
    met_before = timer(record, FR)
    clock.move_to(at(3, 10, 45))
    url = f"/admin/sla/calendar/{desk.calendar.pk}/change/"
    data = admin_data(desk.calendar, {0: ("09:00", "13:00")}, extra=[(0, "14:00", "18:00")])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    desk.calendar.refresh_from_db()
    assert desk.calendar.version == 2
    monday = desk.calendar.hours.filter(weekday=0).order_by("start")
    assert [(h.start, h.end) for h in monday] == [(time(9), time(13)), (time(14), time(18))]
    # 45 min spent, 435 left: 135 until 13:00, 240 from 14:00 to 18:00, 60 on Tuesday.
    assert timer(record, RES).due_at == at(4, 10)
    met_after = timer(record, FR)
    assert (met_after.due_at, met_after.updated_at) == (met_before.due_at, met_before.updated_at)


def test_an_overlapping_week_in_the_admin_is_refused_and_nothing_changes(
    desk, clock, admin_client, django_capture_on_commit_callbacks
):
    record = log(desk, clock, at(3, 10))
    url = f"/admin/sla/calendar/{desk.calendar.pk}/change/"
    data = admin_data(desk.calendar, {0: ("09:00", "13:00")}, extra=[(0, "12:00", "18:00")])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(url, data)

    assert response.status_code == 200
    assert calendar_message(OVERLAPPING) in response.content.decode()
    assert callbacks == []
    desk.calendar.refresh_from_db()
    assert desk.calendar.version == 1
    assert timer(record, RES).due_at == at(3, 18)
