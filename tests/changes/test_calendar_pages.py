"""The change calendar's pages: a month, week and day of the changes the reader may see, the
filters, the blackout and maintenance windows in the cells, previous/next/today, a change's
collisions (with the CMDB path) beside the calendar and the changes it collides with marked,
bad filters told and ignored, end users refused, a bounded number of queries."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changes.choices import ChangeStatus as S
from changes.models import BlackoutWindow, Change, MaintenanceWindow
from tests.changes.factories import PLANS, people, raise_change
from tests.changes.test_collisions import estate, scheduled_change  # noqa: F401
from tests.factories import SupportGroupFactory

pytestmark = pytest.mark.django_db


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(day, hour, hours=2):
    start = timezone.make_aware(datetime.combine(day, time(hour)))
    return {"planned_start": start, "planned_end": start + timedelta(hours=hours)}


def numbers(answer) -> list[str]:
    return [entry["number"] for day in answer.context["page"].days for entry in day.entries]


@pytest.fixture
def month():
    """The 10th of next month and its neighbours."""
    first = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=10)


def test_the_month_shows_its_changes_on_their_days_and_the_windows(estate, month):  # noqa: F811
    _manager, owner, _cab = people()
    cis, service = estate
    on_db = scheduled_change(owner, cis["db"], title="Index rebuild", **at(month, 9))
    two_days = scheduled_change(owner, cis["core"], title="Core swap", **at(month, 22, hours=28))
    later = scheduled_change(owner, cis["san"], **at(month + timedelta(days=62), 9))
    dropped = scheduled_change(owner, cis["san"], status=S.CANCELLED, **at(month, 10))
    BlackoutWindow.objects.create(
        name="Payroll run", reason="Salaries are paid", service=service,
        **{"starts_at": at(month, 0)["planned_start"], "ends_at": at(month, 23)["planned_start"]},
    )  # fmt: skip
    MaintenanceWindow.objects.create(
        name="Sunday patching",
        service=service,
        starts_at=at(month + timedelta(days=3), 1)["planned_start"],
        ends_at=at(month + timedelta(days=3), 5)["planned_start"],
    )

    answer = browser_for(owner).get("/changes/calendar/", {"date": month.isoformat()})

    assert answer.status_code == 200
    page = answer.context["page"]
    assert page.view == "month" and page.anchor == month.replace(day=1)
    assert len(page.days) % 7 == 0
    cells = {day.day: day for day in page.days}
    assert [e["number"] for e in cells[month].entries] == [on_db.number, two_days.number]
    assert [e["number"] for e in cells[month + timedelta(days=1)].entries] == [two_days.number]
    assert later.number not in numbers(answer) and dropped.number not in numbers(answer)
    assert [w.name for w in cells[month].blackouts] == ["Payroll run"]
    assert [w.name for w in cells[month + timedelta(days=3)].maintenance] == ["Sunday patching"]
    html = answer.content.decode()
    assert "Salaries are paid" in html and "Sunday patching" in html
    assert (
        f"?view=month&amp;date={(month.replace(day=1) - timedelta(days=1)).replace(day=1)}" in html
    )


def test_week_and_day_views_and_their_previous_and_next(estate, month):  # noqa: F811
    _manager, owner, _cab = people()
    cis, _service = estate
    today = scheduled_change(owner, cis["db"], **at(month, 9))
    week_later = scheduled_change(owner, cis["db"], **at(month + timedelta(days=7), 9))
    client = browser_for(owner)

    week = client.get("/changes/calendar/", {"view": "week", "date": month.isoformat()})
    day = client.get("/changes/calendar/", {"view": "day", "date": month.isoformat()})

    assert len(week.context["page"].days) == 7
    assert month in [d.day for d in week.context["page"].days]
    assert numbers(week) == [today.number]
    following = week.context["page"].following
    assert week.context["next_url"] == f"?view=week&date={following}"
    assert numbers(client.get("/changes/calendar/" + week.context["next_url"])) == [
        week_later.number
    ]
    assert [d.day for d in day.context["page"].days] == [month]
    assert day.context["page"].previous == month - timedelta(days=1)
    assert numbers(day) == [today.number]
    assert 'data-shortcut="p"' in day.content.decode()
    assert 'data-shortcut="t"' in day.content.decode()


def test_a_busy_day_shows_six_in_the_month_and_all_in_the_day(estate, month):  # noqa: F811
    _manager, owner, _cab = people()
    cis, _service = estate
    for n in range(9):
        scheduled_change(owner, cis["srv"], title=f"Step {n}", **at(month, 1 + n, hours=1))
    client = browser_for(owner)

    cell = next(
        d
        for d in client.get("/changes/calendar/", {"date": month}).context["page"].days
        if d.day == month
    )
    day = client.get("/changes/calendar/", {"view": "day", "date": month})

    assert (len(cell.entries), cell.more) == (6, 3)
    assert len(numbers(day)) == 9
    assert "3 more" in client.get("/changes/calendar/", {"date": month}).content.decode()


def test_the_filters_keep_the_service_ci_group_and_risk_asked(estate, month):  # noqa: F811
    _manager, owner, _cab = people()
    cis, service = estate
    group = SupportGroupFactory(name="Storage team")
    on_db = scheduled_change(owner, cis["db"], **at(month, 9))
    on_san = scheduled_change(owner, cis["san"], **at(month, 10))
    Change.objects.filter(pk=on_san.pk).update(support_group=group, risk_level="high")
    on_db.services.add(service)
    client = browser_for(owner)
    day = {"view": "day", "date": month.isoformat()}

    assert numbers(client.get("/changes/calendar/", {**day, "service": service.pk})) == [
        on_db.number
    ]
    assert numbers(client.get("/changes/calendar/", {**day, "ci": cis["san"].pk})) == [
        on_san.number
    ]
    assert numbers(client.get("/changes/calendar/", {**day, "group": group.pk})) == [on_san.number]
    assert numbers(client.get("/changes/calendar/", {**day, "risk": "high"})) == [on_san.number]
    answer = client.get("/changes/calendar/", {**day, "risk": "extreme"})
    assert answer.status_code == 200
    assert sorted(numbers(answer)) == sorted([on_db.number, on_san.number])
    assert "Some filters were not understood" in answer.content.decode()


def test_a_focused_change_shows_its_collisions_with_the_path(estate, month):  # noqa: F811
    _manager, owner, _cab = people()
    cis, _service = estate
    storage = scheduled_change(owner, cis["san"], title="Firmware on the SAN", **at(month, 9))
    elsewhere = scheduled_change(owner, make_far_ci(), title="Elsewhere", **at(month, 9))
    change = raise_change(owner, **PLANS, **at(month, 8, hours=3), configuration_items=[cis["db"]])

    answer = browser_for(owner).get(
        "/changes/calendar/", {"view": "week", "date": month, "change": change.number}
    )

    assert [c.change for c in answer.context["collisions"]] == [storage]
    entries = {e["number"]: e for d in answer.context["page"].days for e in d.entries}
    assert entries[storage.number]["colliding"] and not entries[elsewhere.number]["colliding"]
    assert entries[change.number]["focused"]
    html = answer.content.decode()
    assert "db-01" in html and "srv-01" in html and "san-01" in html  # the path
    page = browser_for(owner).get(f"/changes/{change.number}/").content.decode()
    assert f"change={change.number}" in page  # the change page links to it


def make_far_ci():
    from tests.cmdb.factories import make_ci

    return make_ci("far-away", "server")


def test_end_users_cannot_open_the_calendar(end_user):
    assert browser_for(end_user).get("/changes/calendar/").status_code == 403


def test_the_month_is_a_few_queries_whatever_the_number_of_changes(estate, month):  # noqa: F811
    _manager, owner, _cab = people()
    cis, _service = estate
    for n in range(30):
        scheduled_change(owner, cis["db"], **at(month + timedelta(days=n % 20), 9))
    client = browser_for(owner)
    client.get("/changes/calendar/", {"date": month})
    with CaptureQueriesContext(connection) as queries:
        client.get("/changes/calendar/", {"date": month})
    assert len(queries) <= 15
