"""SLA on imported history, with known answers: a 5x9 calendar (09:00-18:00 UTC) with Wednesday
5 March 2025 a holiday, first response 60 and resolution 480 business minutes, paused while
the customer is awaited. Either the source's made_sla is kept, or our clocks run again over the
history; then the dashboards count the imported month."""

from datetime import date

import pytest
from django.db.models import Sum
from django.urls import reverse

from dashboards.models import MonthlyStat, RecordFact
from incidents.models import Incident
from servicedesk.models import ExternalKey
from sla.models import Metric, TimerState
from tests.sla.factories import at, calendar_5x9, policy, switch_off_defaults, timers
from tests.transfer.test_servicenow import export, run

pytestmark = pytest.mark.django_db


def row(number, seq, state, opened, updated, made_sla, resolved="?"):
    return (
        f"{number},{state},true,0,0,{seq},{made_sla},Caller 1,{opened},Phone,Network,?,"
        f"2 - Medium,2 - Medium,3 - Moderate,Network team,Ann Agent,"
        f"{'code 5' if resolved != '?' else '?'},{resolved},?,{updated}"
    )


def history(number, made_sla, *states):
    """states: (state, d/m/yyyy HH:MM) in order; the first is the opening."""
    opened = states[0][1]
    resolved = next((when for state, when in states if state == "Resolved"), "?")
    return [
        row(number, seq, state, opened, when, made_sla, resolved if state == "Resolved" else "?")
        for seq, (state, when) in enumerate(states)
    ]


ROWS = [
    # A: paused Tuesday 10:00 to Thursday 11:00 while the customer is awaited: 1 h Monday, 1 h
    # Tuesday, 5 h Thursday = 7 h, met (16 h without the pause).
    *history("A", "true", ("New", "3/3/2025 17:00"), ("Active", "3/3/2025 17:30"),
             ("Awaiting User Info", "4/3/2025 10:00"), ("Active", "6/3/2025 11:00"),
             ("Resolved", "6/3/2025 16:00")),
    # B: across the holiday: 4 h Tuesday, none Wednesday, 3 h 59 Thursday, met; the source
    # says breached.
    *history("B", "false", ("New", "4/3/2025 14:00"), ("Active", "4/3/2025 14:20"),
             ("Resolved", "6/3/2025 12:59")),
    # C: answered after 2 h (first response breached at 13:00), resolved after 12 h (breached
    # at Tuesday 11:00, where the clock crossed 8 h).
    *history("C", "false", ("New", "3/3/2025 12:00"), ("Active", "3/3/2025 14:00"),
             ("Resolved", "4/3/2025 15:00")),
    # D: still awaiting the customer.
    *history("D", "false", ("New", "10/3/2025 09:00"), ("Active", "10/3/2025 09:30"),
             ("Awaiting User Info", "10/3/2025 10:00")),
]  # fmt: skip


@pytest.fixture
def desk():
    switch_off_defaults()
    calendar = calendar_5x9(holidays=[date(2025, 3, 5)])
    return policy(calendar=calendar, first_response=60, resolution=480)


def imported(number) -> Incident:
    return Incident.objects.get(
        pk=ExternalKey.objects.get(source="servicenow", value=number).object_id
    )


def outcomes(number) -> dict[str, tuple]:
    return {t.metric: (t.state, t.breached_at, t.source) for t in timers(imported(number))}


def march(name: str) -> int:
    stats = MonthlyStat.objects.filter(record_type="incident", month=date(2025, 3, 1))
    return stats.aggregate(total=Sum(name))["total"] or 0


def test_recomputed_on_our_calendar_with_the_holiday_and_the_pending_period(
    admin, desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = run(admin, export(ROWS), sla_mode="recompute")
    assert (job.status, job.records_written, job.errors) == ("done", 4, 0)
    met, breached = TimerState.MET, TimerState.BREACHED
    assert outcomes("A") == {Metric.FIRST_RESPONSE: (met, None, ""),
                             Metric.RESOLUTION: (met, None, "")}  # fmt: skip
    assert outcomes("B") == {Metric.FIRST_RESPONSE: (met, None, ""),
                             Metric.RESOLUTION: (met, None, "")}  # fmt: skip
    assert outcomes("C") == {Metric.FIRST_RESPONSE: (breached, at(3, 13), ""),
                             Metric.RESOLUTION: (breached, at(4, 11), "")}  # fmt: skip
    (resolution,) = timers(imported("A"), Metric.RESOLUTION)
    assert resolution.pauses == [[at(4, 10).isoformat(), at(6, 11).isoformat()]]
    assert resolution.stopped_at == at(6, 16)

    still = {t.metric: t for t in timers(imported("D"))}
    assert still[Metric.FIRST_RESPONSE].state == met
    paused = still[Metric.RESOLUTION]
    assert (paused.state, paused.pauses) == (TimerState.PAUSED, [[at(10, 10).isoformat(), None]])
    assert job.summary["sla"] == {"kept": 0, "replayed": 3, "live": 1, "none": 0}

    # The dashboards count the imported month.
    facts = dict(RecordFact.objects.values_list("number", "resolution_outcome"))
    assert sorted(facts.values()) == ["", "breached", "met", "met"]
    assert (march("resolution_met"), march("resolution_breached")) == (2, 1)
    assert (march("response_met"), march("response_breached")) == (3, 1)
    assert march("opened") == 4 and march("resolved") == 3


def test_kept_from_the_source_and_shown_as_imported(
    admin, desk, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = run(admin, export(ROWS), sla_mode="keep")
    assert (job.status, job.errors) == ("done", 0)
    met, breached = TimerState.MET, TimerState.BREACHED
    assert outcomes("A") == {Metric.RESOLUTION: (met, None, "servicenow")}
    assert outcomes("B") == {Metric.RESOLUTION: (breached, at(6, 12, 59), "servicenow")}
    assert outcomes("C") == {Metric.RESOLUTION: (breached, at(4, 15), "servicenow")}
    # An open record has no outcome yet: our clocks serve it from its history on.
    assert {t.metric: t.state for t in timers(imported("D"))} == {
        Metric.FIRST_RESPONSE: met, Metric.RESOLUTION: TimerState.PAUSED,
    }  # fmt: skip
    assert job.summary["sla"] == {"kept": 3, "replayed": 0, "live": 1, "none": 0}
    assert (march("resolution_met"), march("resolution_breached")) == (1, 2)

    client.force_login(admin)
    page = client.get(reverse("incidents:detail", args=[imported("B").number]))
    assert page.status_code == 200
    assert "Imported: the outcome servicenow recorded" in page.content.decode()


def test_no_policy_no_timer(admin, django_capture_on_commit_callbacks):
    switch_off_defaults()
    with django_capture_on_commit_callbacks(execute=True):
        job = run(admin, export(ROWS), sla_mode="recompute")
    assert job.records_written == 4 and job.summary["sla"]["none"] == 4
    assert not timers(imported("A"))
