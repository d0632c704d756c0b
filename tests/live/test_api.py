"""/api/v1/notifications/: one's own, newest first; marking read; strict input; who may not."""

import pytest

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services as incidents
from live.models import Notification


@pytest.fixture
def desk(make_user):
    group = SupportGroup.objects.create(name="Service Desk")
    ana = make_user(Role.AGENT, full_name="Ana Agent")
    ben = make_user(Role.AGENT, full_name="Ben Agent")
    group.members.add(ana, ben)
    incident = incidents.incident_create(
        actor=ana, title="VPN drops", impact="low", urgency="low", support_group=group
    )
    for _ in range(2):
        incidents.incident_assign(
            incident_id=incident.pk, actor=ana, support_group=group, assignee=ben
        )
        incidents.incident_assign(incident_id=incident.pk, actor=ana, support_group=group)
    return group, ana, ben, incident


def test_the_list_is_ones_own_and_marks_read(desk, client):
    _group, ana, ben, incident = desk
    client.force_login(ben)
    listed = client.get("/api/v1/notifications/?unread=true").json()
    rows = listed["results"]
    assert [row["number"] for row in rows] == [incident.number] * 2
    assert rows[0]["kind"] == "assigned" and rows[0]["actor"]["name"] == "Ana Agent"
    assert rows[0]["url"] == f"/incidents/{incident.number}/"
    answer = client.post("/api/v1/notifications/read/", {"ids": [rows[0]["id"]]},
                         content_type="application/json")  # fmt: skip
    assert answer.json() == {"marked": 1, "unread": 1}
    assert client.post("/api/v1/notifications/read/", {"all": True},
                       content_type="application/json").json() == {"marked": 1, "unread": 0}  # fmt: skip
    client.force_login(ana)
    assert client.get("/api/v1/notifications/").json()["results"] == []
    assert client.get(f"/api/v1/notifications/{rows[0]['id']}/").status_code == 404


def test_bad_input_names_the_field_and_end_users_are_refused(desk, client, make_user):
    _group, _ana, ben, _incident = desk
    client.force_login(ben)
    empty = client.post("/api/v1/notifications/read/", {}, content_type="application/json")
    assert empty.status_code == 400 and "ids" in str(empty.json())
    unknown = client.post("/api/v1/notifications/read/", {"all": True, "colour": "red"},
                          content_type="application/json")  # fmt: skip
    assert unknown.status_code == 400 and "colour" in str(unknown.json())
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400
    assert Notification.objects.filter(recipient=ben, read_at__isnull=True).count() == 2
    client.force_login(make_user(Role.END_USER))
    assert client.get("/api/v1/notifications/").status_code == 403
