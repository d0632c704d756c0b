"""The dashboards' numbers against a month computed by hand (see fixtures.py)."""

from datetime import date

import pytest

from dashboards import selectors
from dashboards.scope import scope_for
from tests.dashboards.fixtures import build_month, march

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    return build_month()


def row(panel, **match):
    (found,) = [r for r in panel.rows if all(r.get(k) == v for k, v in match.items())]
    return found


def test_compliance_and_first_contact_resolution_of_the_month(month):
    numbers = selectors.summary(march())
    assert numbers["resolved"] == 8
    assert (numbers["resolution_met"], numbers["resolution_breached"]) == (7, 1)
    assert numbers["resolution_pct"] == 87.5
    assert (numbers["response_met"], numbers["response_breached"]) == (7, 1)
    assert numbers["response_pct"] == 87.5
    assert numbers["first_contact"] == 6
    assert numbers["first_contact_pct"] == 75.0
    assert numbers["opened"] == 12  # 6 calls, 2 late ones, 1 open, 3 major incidents
    assert numbers["backlog"] == 4


def test_times_in_calendar_and_business_hours(month):
    times = selectors.times(march())
    resolve = row(times, measure="Resolve, calendar time")
    assert resolve["mean"] == 3.88  # 31 h / 8, rounded to 2 places
    assert resolve["p50"] == 0.0
    assert resolve["p90"] == 11.7  # 6 + 0.3 x (25 - 6)
    business = row(times, measure="Resolve, business time")
    assert business["mean"] == 2.0  # (6 + 10) / 8
    respond = row(times, measure="Respond, calendar time")
    assert respond["mean"] == 1.25  # (0.5 + 2) / 2: calls resolved on the call have no reply
    numbers = selectors.summary(march())
    assert numbers["resolve_hours_mean"] == 3.88
    assert numbers["resolve_business_hours_mean"] == 2.0


def test_satisfaction_index_and_mean(month):
    numbers = selectors.summary(march())
    assert numbers["rating_counts"] == {1: 0, 2: 1, 3: 1, 4: 2, 5: 4}
    assert numbers["hotline_index"] == 62.5
    assert numbers["mean_rating"] == 4.12 or numbers["mean_rating"] == 4.13  # 4.125
    panel = selectors.kpi_summary(march())
    assert row(panel, kpi="First-contact resolution")["status"] == "ok"  # 75% meets >= 75%
    assert row(panel, kpi="Hotline satisfaction index")["status"] == "bad"  # < 92%


def test_hotline_index_formula():
    # The seed's formula: 2 very dissatisfied, 3 dissatisfied, 5 neutral of 100.
    counts = {1: 2, 2: 3, 3: 5, 4: 40, 5: 50}
    assert selectors.hotline_index(counts) == 83.0  # (1 - (6 + 6 + 5) / 100) x 100
    assert selectors.hotline_index({n: 0 for n in range(1, 6)}) is None
    assert selectors.mean_rating({1: 1, 2: 0, 3: 0, 4: 0, 5: 1}) == 3.0


def test_hotline_index_stays_within_0_and_100_percent():
    assert selectors.hotline_index({1: 1, 2: 0, 3: 0, 4: 0, 5: 0}) == 0.0  # the seed's: -200%
    assert selectors.hotline_index({1: 1, 2: 1, 3: 0, 4: 0, 5: 0}) == 0.0  # the seed's: -150%
    assert selectors.hotline_index({1: 1, 2: 0, 3: 0, 4: 0, 5: 3}) == 25.0  # above 0: unchanged
    assert selectors.hotline_index({1: 0, 2: 0, 3: 0, 4: 0, 5: 7}) == 100.0


def test_filters_by_group_service_and_organisation(month):
    group_a = scope_for(
        "custom", start=date(2025, 3, 1), end=date(2025, 3, 31),
        support_group_id=month["group_a"].pk,
    )  # fmt: skip
    numbers = selectors.summary(group_a)
    assert numbers["resolved"] == 7
    assert numbers["resolution_pct"] == 100.0
    assert (numbers["response_met"], numbers["response_breached"]) == (6, 1)
    assert numbers["first_contact_pct"] == round(600 / 7, 2)
    assert numbers["rating_counts"] == {1: 0, 2: 0, 3: 1, 4: 2, 5: 4}
    vpn = scope_for(
        "custom", start=date(2025, 3, 1), end=date(2025, 3, 31), service_id=month["vpn"].pk
    )
    assert selectors.summary(vpn)["resolution_pct"] == 0.0
    nobody = scope_for(
        "custom", start=date(2025, 3, 1), end=date(2025, 3, 31), organisation_id=999_999
    )
    assert selectors.summary(nobody)["resolved"] == 0


def test_breakdowns_and_trend(month):
    by_group = selectors.sla_by(march(), "support_group")
    assert row(by_group, name="Group A")["resolution_pct"] == 100.0
    assert row(by_group, name="Group B")["resolution_breached"] == 1
    by_priority = selectors.sla_by(march(), "priority")
    assert [r["key"] for r in by_priority.rows] == [3]
    assert by_priority.rows[0]["resolution_pct"] == 87.5
    trend = selectors.sla_trend(march())
    assert len(trend.rows) == 31  # every day of March, empty ones as zero
    monday, tuesday = trend.rows[2], trend.rows[3]
    assert monday["bucket"] == date(2025, 3, 3) and monday["resolution_met"] == 7
    assert tuesday["resolution_breached"] == 1 and tuesday["resolution_pct"] == 0.0
    weekly = selectors.sla_trend(
        scope_for("custom", start=date(2025, 3, 1), end=date(2025, 3, 31), by="week")
    )
    assert weekly.rows[1]["bucket"] == date(2025, 3, 3)
    assert weekly.rows[1]["resolution_pct"] == 87.5


def test_breaches_list_links_to_the_records(month):
    panel = selectors.breaches(march())
    assert {(r["title"], r["target"]) for r in panel.rows} == {
        ("MAIL-LATE-REPLY", "Response"),
        ("VPN-LATE-FIX", "Resolution"),
    }
    fix = row(panel, title="VPN-LATE-FIX")
    assert fix["url"] == f"/incidents/{month['late_fix'].number}/"


def test_availability_mtbf_and_faults_against_the_seed_targets(month):
    panel = selectors.availability(march())
    mail, vpn = row(panel, name="Mail"), row(panel, name="VPN")
    assert mail["outage_hours"] == 2.0 and mail["faults"] == 1
    assert mail["availability"] == round(100 * 742 / 744, 3)  # 99.731
    assert mail["availability_ok"] == "ok" and mail["mtbf_hours"] == 371.0
    assert mail["mtbf_ok"] == "ok"
    assert vpn["outage_hours"] == 4.0 and vpn["faults"] == 2
    assert vpn["availability"] == round(100 * 740 / 744, 3)  # 99.462 < 99.6
    assert vpn["availability_ok"] == "bad"
    assert vpn["mtbf_hours"] == round(740 / 3, 1) and vpn["mtbf_ok"] == "bad"
    assert vpn["faults_ok"] == "ok"


def test_mtbf_without_a_fault_is_on_target_even_in_a_short_period(month):
    # 10 March only: 24 h of uptime at most, far below the 340 h target.
    day = selectors.availability(
        scope_for("custom", start=date(2025, 3, 10), end=date(2025, 3, 10))
    )
    mail = row(day, name="Mail")
    assert mail["faults"] == 1 and mail["mtbf_hours"] == 11.0 and mail["mtbf_ok"] == "bad"
    unhurt = [r for r in day.rows if r["faults"] == 0]
    assert unhurt and all(r["mtbf_ok"] == "ok" and r["mtbf_hours"] <= 24 for r in unhurt)


def test_an_outage_across_the_period_edge_counts_its_part_inside(month):
    # 10 March only: the Mail outage (08:00-10:00) is inside; the day has 24 h.
    day = scope_for("custom", start=date(2025, 3, 10), end=date(2025, 3, 10))
    mail = row(selectors.availability(day), name="Mail")
    assert mail["outage_hours"] == 2.0
    assert mail["availability"] == round(100 * 22 / 24, 3)


def test_backlog_by_priority_and_group_now(month):
    panel = selectors.backlog(march(), "support_group")
    assert row(panel, name="Group B")["total"] == 3
    assert row(panel, name="Group A")["gt30d"] == 1
    by_priority = selectors.backlog(march(), "priority")
    assert sum(r["total"] for r in by_priority.rows) == 4


def test_refresh_is_incremental_and_idempotent(month):
    from dashboards import facts
    from dashboards.models import RecordFact

    before = list(RecordFact.objects.order_by("pk").values())
    assert facts.refresh("incident", full=True) == 14
    after = list(RecordFact.objects.order_by("pk").values())
    strip = [{k: v for k, v in r.items() if k != "refreshed_at"} for r in before]
    assert strip == [{k: v for k, v in r.items() if k != "refreshed_at"} for r in after]
    assert facts.refresh("incident") == 0  # nothing changed since


def test_monthly_rollup_and_facts_agree(month):
    from dashboards import rollup
    from dashboards.models import MonthlyStat

    months, ranges = rollup.split(march().start, march().end)
    assert months == (date(2025, 3, 1), date(2025, 4, 1)) and ranges == []
    assert MonthlyStat.objects.filter(month=date(2025, 3, 1)).exists()
    by_month = rollup.totals(march(), "resolved")[None]
    by_day = rollup.totals(march(), "resolved", "bucket")  # daily buckets: from the facts
    for name in ("resolved", "first_contact", "resolve_sum", "resolve_business_n"):
        assert by_month[name] == sum(values[name] for values in by_day.values())
    # A period of half a month and a whole month reads both.
    half = scope_for("custom", start=date(2025, 2, 15), end=date(2025, 3, 31))
    months, ranges = rollup.split(half.start, half.end)
    assert months == (date(2025, 3, 1), date(2025, 4, 1)) and len(ranges) == 1
    assert selectors.summary(half)["resolved"] == 9  # with February's


def test_a_late_change_to_a_past_month_rebuilds_it(month):
    from django.utils import timezone

    from dashboards import facts
    from incidents.models import Incident

    # Reopened and resolved again later: its resolution leaves March.
    Incident.objects.filter(pk=month["late_fix"].pk).update(
        resolved_at=timezone.now(), updated_at=timezone.now()
    )
    facts.refresh("incident")
    assert selectors.summary(march())["resolved"] == 7


def test_the_minute_refresh_follows_work_done_through_the_services(month):
    """A reply and a resolution through the services reach the facts at the next refresh (the
    watermark sees first_responded_at and updated_at), and the month they happen in counts them."""
    from django.db import transaction

    from dashboards import facts
    from dashboards.models import RecordFact
    from incidents import services
    from incidents.choices import IncidentStatus
    from tests.incidents.factories import transition

    still_open = month["open_one"]
    agent = still_open.assignee
    this_month = scope_for("this_month")
    before = selectors.summary(this_month)
    with transaction.atomic():
        services.incident_comment(incident_id=still_open.pk, actor=agent, body="<p>On it.</p>")
    assert facts.refresh("incident") >= 1
    fact = RecordFact.objects.get(object_id=still_open.pk)
    assert fact.respond_seconds > 0 and fact.response_outcome == "breached"
    transition(still_open, agent, IncidentStatus.RESOLVED)
    assert facts.refresh("incident") >= 1
    fact.refresh_from_db()
    assert not fact.is_open and fact.resolution_outcome == "breached"
    after = selectors.summary(this_month)
    assert after["resolved"] == before["resolved"] + 1
    assert after["resolution_breached"] == before["resolution_breached"] + 1
    assert after["backlog"] == before["backlog"] - 1
    assert selectors.summary(march())["resolved"] == 8  # March is untouched


def test_a_new_rating_reaches_the_figures_at_the_next_refresh(month):
    from dashboards import facts
    from servicedesk.services import rating_give

    this_month = scope_for("this_month")
    assert selectors.satisfaction_counts(this_month)[1] == 0
    rating_give(record=month["open_one"], rated_by=month["open_one"].requester, score=1)
    assert facts.refresh("incident") >= 1
    assert selectors.satisfaction_counts(this_month) == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    assert selectors.summary(this_month)["hotline_index"] == 0.0  # (1 - 3/1) x 100, floored


def test_long_busy_periods_estimate_percentiles_from_a_sample(month, monkeypatch):
    monkeypatch.setattr(selectors.kpis, "EXACT_PERCENTILE_DAYS", 0)
    monkeypatch.setattr(selectors.kpis, "EXACT_PERCENTILE_ROWS", 0)
    figures = selectors.resolution_figures(march())
    assert figures["resolve_seconds_mean"] == 31 * 3600 / 8  # means stay exact (the rollup)
    assert set(figures) >= {"resolve_seconds_p50", "resolve_seconds_p90"}


def test_a_month_that_ends_gets_its_sums_at_the_next_refresh(month):
    from django.utils import timezone

    from dashboards import facts
    from dashboards.models import MonthlyStat, RefreshState

    # As if the last refresh had run in March 2025, before the month was over.
    MonthlyStat.objects.filter(month__gte=date(2025, 3, 1)).delete()
    RefreshState.objects.update(rolled_up_to=date(2025, 3, 1))
    facts.refresh("incident")
    assert MonthlyStat.objects.filter(month=date(2025, 3, 1)).exists()
    assert selectors.summary(march())["resolution_pct"] == 87.5
    state = RefreshState.objects.get()
    assert state.rolled_up_to == timezone.localdate().replace(day=1)
