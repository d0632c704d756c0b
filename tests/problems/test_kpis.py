"""The problem KPIs computed on a known set of problems and incidents."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from incidents import services as incident_services
from incidents.choices import ResolutionCode
from problems import services
from problems.kpis import problem_kpis
from tests.incidents.factories import AgentFactory, incident
from tests.problems.factories import ROOT_CAUSE, ProblemManagerFactory, known_error, problem

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_problem_kpis_on_known_figures(client):
    manager, agent = ProblemManagerFactory(), AgentFactory()
    with time_machine.travel(NOW - timedelta(days=100), tick=False):
        problem(actor=manager, impact="high", urgency="high")  # P1, over 3 months
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        slow = problem(actor=manager, impact="medium", urgency="medium")  # P3, 1-4 weeks
        ke = known_error(manager=manager, impact="high", urgency="high")
    with time_machine.travel(NOW - timedelta(days=6), tick=False):
        # Root cause 4 days after it was raised.
        services.problem_update(
            problem_id=slow.pk, actor=manager, changes={"root_cause": ROOT_CAUSE}
        )
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        problem(actor=manager, impact="medium", urgency="medium")  # P3, under a week
        one, two, three = incident(actor=agent), incident(actor=agent), incident(actor=agent)
        services.problem_link_incidents(
            problem_id=ke.pk, incident_ids=[one.pk, two.pk], actor=agent
        )
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        for target, code in ((one, ResolutionCode.SOLVED_WORKAROUND),
                             (three, ResolutionCode.SOLVED_PERMANENTLY)):  # fmt: skip
            with transaction.atomic():
                incident_services.incident_transition(
                    incident_id=target.pk, actor=agent, target="resolved",
                    resolution_code=code, resolution_notes="<p>Done</p>",
                )  # fmt: skip
    figures = problem_kpis(days=30, now=NOW)
    assert figures.by_age["over_90"] == {1: 1}
    assert figures.by_age["7_30"] == {3: 1, 1: 1}
    assert figures.by_age["under_7"] == {3: 1}
    assert figures.open_total == 4
    assert figures.known_errors_open == 1 and figures.known_errors_total == 1
    assert figures.linked_incidents == 2 and figures.linked_incidents_open == 1
    # The known error's root cause was there at once (0 days), the slow one took 4 days.
    assert figures.root_causes_found == 2
    assert figures.mean_time_to_root_cause == timedelta(days=2)
    assert figures.resolved_incidents == 2 and figures.resolved_by_workaround == 1
    assert figures.workaround_share == 0.5
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/problems/kpis/", {"days": "30"}).content.decode()
    assert 'data-kpi="workaround-share">50.0%' in page
    assert 'data-kpi="mttrc">48.0 h' in page
