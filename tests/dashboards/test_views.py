"""The pages, the JSON endpoints and the CSV exports: permissions, numbers, languages, refusals."""

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.dashboards.fixtures import build_month

pytestmark = pytest.mark.django_db

MARCH = {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"}


@pytest.fixture
def month():
    return build_month()


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.parametrize("name", ["home", "kpis", "teams", "reports"])
def test_agents_and_end_users_are_refused(client, make_user, name):
    for role in (Role.AGENT, Role.END_USER):
        client.force_login(make_user(role))
        assert client.get(reverse(f"dashboards:{name}")).status_code == 403
    client.force_login(make_user(Role.AGENT))
    assert client.get(reverse("dashboards:data", args=["kpis"])).status_code == 403


def test_sla_page_shows_the_months_figures(manager_client, month):
    response = manager_client.get(reverse("dashboards:home"), MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["by_key"]["sla_summary"]["panel"]
    assert [r["compliance"] for r in summary.rows] == [87.5, 87.5]
    assert "87.5%" in html
    assert month["late_fix"].number in html  # the breach, linked to the incident
    assert f'href="/incidents/{month["late_fix"].number}/"' in html
    assert "chart.umd.min.js" in html


def test_kpi_page_has_every_definition_and_target(manager_client, month):
    response = manager_client.get(reverse("dashboards:kpis"), MARCH)
    html = response.content.decode()
    assert "75.00%" in html  # first-contact resolution
    assert "62.50%" in html  # hotline satisfaction index
    assert "[1 - (very dissatisfied x 3 + dissatisfied x 2 + neutral x 1) / total]" in html
    assert "99.6%" in html and "340 h" in html
    assert "99.73%" in html  # Mail's availability


def test_json_endpoint_matches_the_table_and_follows_the_filters(manager_client, month):
    url = reverse("dashboards:data", args=["sla_by_support_group"])
    data = manager_client.get(url, MARCH).json()
    assert {r["name"]: r["resolution_pct"] for r in data["rows"]} == {
        "Group A": 100.0,
        "Group B": 0.0,
    }
    assert data["chart"]["series"] == ["response_pct", "resolution_pct"]
    only_a = manager_client.get(url, {**MARCH, "group": month["group_a"].pk}).json()
    assert [r["name"] for r in only_a["rows"]] == ["Group A"]


def test_csv_export_of_a_table(manager_client, month):
    url = reverse("dashboards:data", args=["sla_summary"])
    response = manager_client.get(url, {**MARCH, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sla_summary_2025-03-01_2025-03-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Target", "Met", "Breached", "Compliance"]
    assert rows[1:] == [["Response", "7", "1", "87.5"], ["Resolution", "7", "1", "87.5"]]


def test_every_panel_answers_json_and_csv(manager_client, month):
    from dashboards.selectors import PANELS

    for key in PANELS:
        url = reverse("dashboards:data", args=[key])
        assert "rows" in manager_client.get(url, MARCH).json()
        response = manager_client.get(url, {**MARCH, "format": "csv"})
        assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")


def test_bad_filters_are_refused_in_the_house_shape(manager_client):
    url = reverse("dashboards:data", args=["sla_summary"])
    response = manager_client.get(
        url, {"period": "custom", "start": "2025-03-31", "end": "2025-03-01"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and "end" in body["errors"]
    response = manager_client.get(url, {"period": "nonsense", "group": "abc"})
    assert response.status_code == 400 and {"period", "group"} <= set(response.json()["errors"])
    assert manager_client.get(reverse("dashboards:data", args=["nope"])).status_code == 404
    page = manager_client.get(reverse("dashboards:home"), {"period": "custom"})
    assert page.status_code == 200 and "Give both dates" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fa", ('dir="rtl"', "87.5%")), ("zh-hans", ('lang="zh-hans"', "87.5%"))],
)
def test_pages_work_in_persian_and_chinese(manager_client, month, language, expected):
    from django.conf import settings

    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = manager_client.get(reverse("dashboards:home"), MARCH)
    html = response.content.decode()
    for text in expected:
        assert text in html


@pytest.mark.parametrize("name", ["home", "kpis", "teams", "reports"])
def test_every_dashboard_page_loads_the_dashboard_styles(manager_client, name):
    html = manager_client.get(reverse(f"dashboards:{name}")).content.decode()
    assert '<link rel="stylesheet" href="/static/dashboards/dashboards.css">' in html
    assert 'class="dash-tabs"' in html  # the tabs those styles draw


def test_the_hotline_index_of_only_very_dissatisfied_ratings_is_0_not_minus_200(
    manager_client, month
):
    from dashboards import facts
    from servicedesk.services import rating_give

    rating_give(record=month["open_one"], rated_by=month["open_one"].requester, score=1)
    facts.refresh("incident")

    response = manager_client.get(reverse("dashboards:kpis"), {"period": "this_month"})

    panel = next(p["panel"] for p in response.context["panels"] if p["panel"].key == "kpis")
    row = next(r for r in panel.rows if r["kpi"] == "Hotline satisfaction index")
    assert row["value"] == 0.0
    html = response.content.decode()
    shown = re.search(r'Hotline satisfaction index</th><td class="num" data-value="([^"]*)">', html)
    assert shown[1] == "0.0"
    assert "never below 0%" in html  # the definition says how it is computed


def test_team_overview_kept(manager_client, make_user):
    from tests.factories import SupportGroupFactory

    SupportGroupFactory(name="Network")
    response = manager_client.get(reverse("dashboards:teams"))
    assert "Network" in response.content.decode()


def test_subscribe_and_unsubscribe(manager_client, manager, make_user):
    from dashboards.models import ReportSubscription

    response = manager_client.post(reverse("dashboards:reports"), {"frequency": "weekly"})
    assert response.status_code == 302
    subscription = ReportSubscription.objects.get(user=manager)
    assert subscription.frequency == "weekly"
    assert (
        manager_client.post(reverse("dashboards:reports"), {"frequency": "daily"}).status_code
        == 200
    )
    assert ReportSubscription.objects.count() == 1
    other = make_user(Role.DESK_MANAGER)
    theirs = ReportSubscription.objects.create(user=other, frequency="monthly")
    url = reverse("dashboards:unsubscribe", args=[theirs.pk])
    assert manager_client.post(url).status_code == 404
    manager_client.post(reverse("dashboards:unsubscribe", args=[subscription.pk]))
    assert list(ReportSubscription.objects.all()) == [theirs]


def test_csv_exports_neutralise_cells_a_spreadsheet_would_run(manager_client, month):
    from accounts.models import SupportGroup
    from incidents.models import Incident

    Incident.objects.filter(pk=month["late_fix"].pk).update(
        title='=HYPERLINK("http://evil.example/","Open me")'
    )
    SupportGroup.objects.filter(pk=month["group_a"].pk).update(name="@SUM(A1:A9)")
    SupportGroup.objects.filter(pk=month["group_b"].pk).update(name="+1+cmd|' /C calc'!A0")

    def rows(key):
        url = reverse("dashboards:data", args=[key])
        response = manager_client.get(url, {**MARCH, "format": "csv"})
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    breaches = rows("breaches")
    titles = [row[breaches[0].index("Title")] for row in breaches[1:]]
    assert '\'=HYPERLINK("http://evil.example/","Open me")' in titles
    assert not any(title.startswith("=") for title in titles)
    groups = {row[0] for row in rows("sla_by_support_group")[1:]}
    assert groups == {"'@SUM(A1:A9)", "'+1+cmd|' /C calc'!A0"}
