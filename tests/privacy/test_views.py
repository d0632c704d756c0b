"""The security log page for administrators: filters, paging, CSV; nobody else reads it."""

import csv
import io

import pytest

from accounts.models import SecurityEvent
from accounts.roles import Role
from accounts.security_log import security_event_record

pytestmark = pytest.mark.django_db

URL = "/privacy/security-log/"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, is_staff=True)


def test_only_administrators_read_the_security_log(client, agent, manager):
    for person in (agent, manager):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.get("/privacy/security-log.csv").status_code == 403


def test_the_log_filters_by_event_and_address(client, admin):
    security_event_record(kind="sign_in_failed", email="a@example.com")
    security_event_record(kind="sign_in_failed", email="b@example.com")
    security_event_record(kind="locked_out", email="a@example.com")
    client.force_login(admin)

    response = client.get(URL, {"kind": "sign_in_failed", "email": "A@example.com"})

    rows = response.context["events"]
    assert [(e.kind, e.email) for e in rows] == [("sign_in_failed", "a@example.com")]
    assert "Security log" in response.content.decode()


def test_the_log_pages_backwards_by_keyset(client, admin, monkeypatch):
    monkeypatch.setattr("privacy.views.PAGE_SIZE", 2)
    for n in range(5):
        security_event_record(kind="sign_in_failed", email=f"p{n}@example.com")
    client.force_login(admin)

    first = client.get(URL, {"kind": "sign_in_failed"})
    second = client.get(URL, {"kind": "sign_in_failed", "before": first.context["next_before"]})

    assert [e.email for e in first.context["events"]] == ["p4@example.com", "p3@example.com"]
    assert [e.email for e in second.context["events"]] == ["p2@example.com", "p1@example.com"]


def test_a_bad_filter_is_a_field_error_not_a_500(client, admin):
    client.force_login(admin)

    response = client.get(URL, {"since": "2026-05-02", "until": "2026-05-01", "kind": "nonsense"})

    assert response.status_code == 200
    assert response.context["form"].errors


def test_the_csv_export_follows_the_filters_and_neutralises_formulas(client, admin):
    security_event_record(kind="sign_in_failed", email="=HYPERLINK(1)")
    security_event_record(kind="signed_in", user=admin)
    client.force_login(admin)

    response = client.get("/privacy/security-log.csv", {"kind": "sign_in_failed"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["time", "event", "email"]
    assert [row[1:3] for row in rows[1:]] == [["sign_in_failed", "'=HYPERLINK(1)"]]
    assert SecurityEvent.objects.count() >= 2
