"""The calendar and collisions endpoints: the window validated with 400s by field, filters,
the windows listed, the collisions with their path, hidden from end users (404), in the
schema."""

import pytest
from rest_framework.test import APIClient

from changes.models import BlackoutWindow
from tests.changes.factories import PLANS, people, raise_change, window
from tests.changes.test_collisions import estate, scheduled_change  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_calendar_gives_the_window_changes_and_blackouts(estate):  # noqa: F811
    _manager, owner, _cab = people()
    cis, service = estate
    mine = window(days=3)
    change = scheduled_change(owner, cis["db"], title="Index rebuild", **mine)
    scheduled_change(owner, cis["san"], **window(days=40))
    BlackoutWindow.objects.create(
        name="Year end", reason="Books", starts_at=mine["planned_start"],
        ends_at=mine["planned_end"],
    )  # fmt: skip
    day = mine["planned_start"].date()
    api = client_for(owner)

    answer = api.get("/api/v1/changes/calendar/", {"start": str(day), "end": str(day)})

    assert answer.status_code == 200, answer.json()
    assert [row["number"] for row in answer.json()["changes"]] == [change.number]
    assert answer.json()["blackouts"][0]["reason"] == "Books"
    other = api.get(
        "/api/v1/changes/calendar/", {"start": str(day), "end": str(day), "ci": cis["san"].pk}
    )
    assert other.json()["changes"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"end": "2026-12-01"}, "start"),
        ({"start": "yesterday", "end": "2026-12-01"}, "start"),
        ({"start": "2026-12-05", "end": "2026-12-01"}, "end"),
        ({"start": "2026-01-01", "end": "2026-12-01"}, "end"),
        ({"start": "2026-12-01", "end": "2026-12-02", "risk": "extreme"}, "risk"),
        ({"start": "2026-12-01", "end": "2026-12-02", "ci": "x"}, "ci"),
        ({"start": "2026-12-01", "end": "2026-12-02", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_window_or_filter_is_a_400_naming_the_field(query, field):
    _manager, owner, _cab = people()
    answer = client_for(owner).get("/api/v1/changes/calendar/", query)
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_collisions_of_a_change_with_their_path_and_hidden_from_end_users(estate):  # noqa: F811
    _manager, owner, _cab = people()
    cis, _service = estate
    other = scheduled_change(owner, cis["san"])
    change = raise_change(owner, **PLANS, **window(), configuration_items=[cis["db"]])

    answer = client_for(owner).get(f"/api/v1/changes/{change.number}/collisions/")

    assert answer.status_code == 200
    (collision,) = answer.json()
    assert collision["change"]["number"] == other.number
    assert [step.get("ci", {}).get("name") or step["relation"] for step in collision["path"]] == [
        "db-01", "runs on", "srv-01", "depends on", "san-01",
    ]  # fmt: skip
    outsider = client_for(UserFactory())
    assert outsider.get(f"/api/v1/changes/{change.number}/collisions/").status_code == 404
    assert (
        outsider.get(
            "/api/v1/changes/calendar/", {"start": "2026-12-01", "end": "2026-12-02"}
        ).json()["changes"]
        == []
    )


def test_both_are_in_the_schema():
    _manager, owner, _cab = people()
    schema = client_for(owner).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/changes/calendar/" in schema["paths"]
    assert "/api/v1/changes/{number}/collisions/" in schema["paths"]
