"""Impact and urgency as data: an administrator sets the levels and their labels (3 x 3 as
seeded, 4 x 4, 5 x 5) and the matrix over them, by cells or by the rule an old tool used; the
incidents' forms, API and services follow the new scales."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts.roles import Role
from incidents import priority_data, services
from incidents.levels import impact_choices, level_codes, resolution_choices
from incidents.models import PriorityMatrixCell
from incidents.priority import current_matrix, matrix_by_rule, priority_by_rule, priority_for
from servicedesk.actors import system_actor
from servicedesk.exceptions import ApplicationError
from tests.factories import UserFactory
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db

FIVE = [(f"i{n}", f"Level {n}") for n in range(1, 6)]
FIVE_U = [(f"u{n}", f"Urgency {n}") for n in range(1, 6)]


def test_the_seeded_scale_is_three_by_three_with_todays_matrix():
    assert level_codes("impact") == ["high", "medium", "low"]
    assert level_codes("urgency") == ["high", "medium", "low"]
    assert priority_for("high", "high", current_matrix()) == 1
    assert priority_for("low", "low", current_matrix()) == 5
    assert [c for c, _l in resolution_choices()] == [
        "solved_permanently", "solved_workaround", "not_reproducible", "duplicate", "user_error",
    ]  # fmt: skip
    assert "resolved_by_parent" in dict(resolution_choices(menu=False))


def test_the_rules_are_the_old_tools_formulas():
    assert priority_by_rule(2, 4, rule="min", cap=0) == 2
    assert priority_by_rule(3, 3, rule="sum", cap=4) == 4
    assert priority_by_rule(1, 2, rule="sum", cap=4) == 2
    matrix = matrix_by_rule(["a", "b", "c"], ["x", "y", "z"], rule="sum", cap=4)
    assert matrix == {
        ("a", "x"): 1, ("a", "y"): 2, ("a", "z"): 3,
        ("b", "x"): 2, ("b", "y"): 3, ("b", "z"): 4,
        ("c", "x"): 3, ("c", "y"): 4, ("c", "z"): 4,
    }  # fmt: skip


def test_a_five_level_desk_gets_its_labels_matrix_and_incidents():
    priority_data.priority_scale_set(
        impacts=FIVE, urgencies=FIVE_U, rule="min", actor=system_actor()
    )
    assert [label for _c, label in impact_choices()] == [label for _c, label in FIVE]
    assert PriorityMatrixCell.objects.count() == 25
    assert priority_for("i2", "u4", current_matrix()) == 2
    record = incident(impact="i4", urgency="u5")
    assert record.priority == 4
    assert record.get_impact_display() == "Level 4"
    with pytest.raises(ValidationError) as refused:
        incident(impact="high", urgency="u1")
    assert "i1, i2, i3, i4, i5" in str(refused.value.message_dict["impact"])


def test_raising_urgency_climbs_the_administrators_scale():
    priority_data.priority_scale_set(
        impacts=FIVE, urgencies=FIVE_U, rule="min", actor=system_actor()
    )
    record = incident(impact="i1", urgency="u3")
    raised = services.incident_raise_urgency(incident_id=record.pk, actor=system_actor())
    assert raised.urgency == "u2"


def test_a_scale_is_checked_whole_and_nothing_is_half_written():
    with pytest.raises(ValidationError) as refused:
        priority_data.priority_scale_set(
            impacts=[("a", "A"), ("a", "B")], urgencies=[("x", "")], rule="min",
            actor=system_actor(),
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"impacts", "urgencies"}
    with pytest.raises(ValidationError) as refused:
        priority_data.priority_scale_set(
            impacts=FIVE, urgencies=FIVE_U, cells={("i1", "u1"): 1}, actor=system_actor()
        )
    assert "cells" in refused.value.message_dict
    assert level_codes("impact") == ["high", "medium", "low"]
    assert PriorityMatrixCell.objects.count() == 9


def test_a_code_incidents_carry_cannot_be_dropped():
    incident(impact="medium", urgency="medium")
    with pytest.raises(ApplicationError) as refused:
        priority_data.priority_scale_set(
            impacts=FIVE, urgencies=FIVE_U, rule="min", actor=system_actor()
        )
    assert refused.value.status_code == 409
    assert "medium" in str(refused.value.message)
    assert level_codes("impact") == ["high", "medium", "low"]


def test_the_api_shows_and_replaces_the_scales():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    agent = AgentFactory()
    client = APIClient()
    client.force_authenticate(agent)
    shown = client.get("/api/v1/reference/scales/").json()
    assert [row["code"] for row in shown["impacts"]] == ["high", "medium", "low"]
    assert len(shown["cells"]) == 9
    body = {
        "impacts": [{"code": c, "label": label} for c, label in FIVE[:3]],
        "urgencies": [{"code": c, "label": label} for c, label in FIVE_U[:3]],
        "rule": "sum",
        "cap": 4,
    }
    assert client.put("/api/v1/reference/scales/", body, format="json").status_code == 403
    client.force_authenticate(admin)
    answer = client.put("/api/v1/reference/scales/", body, format="json")
    assert answer.status_code == 200, answer.json()
    cells = {(c["impact"], c["urgency"]): c["priority"] for c in answer.json()["cells"]}
    assert cells[("i3", "u3")] == 4 and cells[("i1", "u2")] == 2
    group = SupportGroupFactory(members=[admin]).pk
    created = client.post(
        "/api/v1/incidents/",
        {"title": "Printer", "impact": "i3", "urgency": "u2", "support_group": group},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["priority"] == 4
    bad = client.post(
        "/api/v1/incidents/",
        {"title": "Printer", "impact": "high", "urgency": "u2", "support_group": group},
        format="json",
    )
    assert bad.status_code == 400 and "impact" in bad.json()["errors"]
