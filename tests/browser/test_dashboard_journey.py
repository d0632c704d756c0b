"""A manager's look at the month in a real browser: the SLA dashboard filtered by a group (the
chart and the table change together), a breach followed to its incident, a CSV downloaded."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.dashboards.fixtures import build_month
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def chart_data(page, key):
    # Polled with evaluate(): wait_for_function() evaluates its predicate with eval() inside the
    # page, which the Content-Security-Policy (rightly) refuses.
    drawn = f"window.dashboardCharts && window.dashboardCharts[{key!r}] !== undefined"
    for _attempt in range(100):
        if page.evaluate(drawn):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"the {key} chart was never drawn")
    return page.evaluate(f"window.dashboardCharts[{key!r}].data.datasets.map(d => d.data)")


def cell(page, panel, row_name, column):
    """The text of a table cell, by the row's first cell and the column's position."""
    table = page.locator(f'table[data-table="{panel}"]')
    row = table.locator("tbody tr", has=page.get_by_role("rowheader", name=row_name))
    return row.locator("td").nth(column - 1).inner_text()


def test_manager_filters_by_group_drills_into_a_breach_and_downloads_csv(page, make_user):
    month = build_month()
    manager = make_user(Role.DESK_MANAGER, email="mona@example.com", full_name="Mona Manager")
    sign_in(page, manager.email, PASSWORD)
    page.goto("/dashboards/?period=custom&start=2025-03-01&end=2025-03-31")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service levels")

    # All groups: resolution 7 met, 1 breached = 87.5%, in the table and in the chart.
    assert cell(page, "sla_summary", "Resolution", 3) == "87.5%"
    assert chart_data(page, "sla_summary") == [[7, 7], [1, 1]]
    assert cell(page, "sla_by_support_group", "Group B", 6) == "0.0%"

    # Filter by Group A: the breach of Group B leaves both the table and the chart.
    page.get_by_label("Support group", exact=True).select_option(label="Group A")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_label("Support group", exact=True)).to_have_value(str(month["group_a"].pk))
    assert cell(page, "sla_summary", "Resolution", 3) == "100.0%"
    assert cell(page, "sla_summary", "Response", 3) == "85.7%"
    assert chart_data(page, "sla_summary") == [[6, 7], [1, 0]]
    expect(page.locator('table[data-table="sla_by_support_group"]')).not_to_contain_text("Group B")

    # Back to every group; follow the resolution breach to its incident.
    page.get_by_label("Support group", exact=True).select_option(label="All groups")
    page.get_by_role("button", name="Apply").click()
    breaches = page.locator('table[data-table="breaches"]')
    number = month["late_fix"].number
    expect(breaches).to_contain_text("VPN-LATE-FIX")

    # The CSV of the table, with the same numbers.
    with page.expect_download() as download_info:
        page.locator("#panel-sla_by_support_group a[data-csv]").click()
    download = download_info.value
    assert download.suggested_filename == "sla_by_support_group_2025-03-01_2025-03-31.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0][0] == "Support group"
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Group B"][4:7] == ["0", "1", "0.0"]

    breaches.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{number}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("VPN-LATE-FIX")


def test_the_dashboard_draws_its_charts_right_to_left_in_persian(page, make_user):
    build_month()
    manager = make_user(Role.DESK_MANAGER, email="mona@example.com", language="fa")
    sign_in(page, manager.email, PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": "fa", "url": page.url}])
    page.goto("/dashboards/kpis/?period=custom&start=2025-03-01&end=2025-03-31")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert chart_data(page, "satisfaction") == [[0, 1, 1, 2, 4]]
    ticks = page.evaluate("window.dashboardCharts['satisfaction'].scales.y.ticks.map(t => t.label)")
    assert all(not any("\u06f0" <= ch <= "\u06f9" for ch in str(t)) for t in ticks)  # Latin digits
    assert page.evaluate("window.dashboardCharts['satisfaction'].options.scales.x.reverse")
