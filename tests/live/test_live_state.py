"""The record page's and the queue's polls: 304 while nothing changed (one indexed query, or a
cache read), the banner naming who changed a record and the entries since, the queue's stamp
moving after a commit, and who may not ask."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SupportGroup
from accounts.roles import Role
from incidents import services as incidents


@pytest.fixture
def desk(make_user):
    group = SupportGroup.objects.create(name="Service Desk")
    ana = make_user(Role.AGENT, full_name="Ana Agent")
    ben = make_user(Role.AGENT, full_name="Ben Agent")
    group.members.add(ana, ben)
    incident = incidents.incident_create(
        actor=ana, title="VPN drops", impact="low", urgency="low", support_group=group
    )
    return group, ana, ben, incident


def test_the_record_page_carries_its_watcher(desk, client):
    _group, ana, _ben, incident = desk
    client.force_login(ana)
    page = client.get(reverse("incidents:detail", args=[incident.number]))
    assert f'data-live-record="/live/records/{incident.number}/"' in page.text
    assert f'data-etag="&quot;{incident.version}-' in page.text


def test_an_unchanged_record_answers_304_with_one_query(desk, client):
    _group, ana, _ben, incident = desk
    client.force_login(ana)
    url = reverse("live:record_state", args=[incident.number])
    etag = client.get(url)["ETag"]  # the session and permissions are cached after the first
    assert etag.startswith(f'"{incident.version}-')
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    record_queries = [q for q in queries.captured_queries if "incidents_incident" in q["sql"]]
    assert len(record_queries) == 1
    assert '"number" = ' in record_queries[0]["sql"]
    assert len(queries.captured_queries) <= 3  # the session, the user, the version


def test_a_change_by_someone_else_shows_who_and_the_new_entries(
    desk, client, django_capture_on_commit_callbacks
):
    group, ana, ben, incident = desk
    client.force_login(ana)
    url = reverse("live:record_state", args=[incident.number])
    seen = client.get(url)["ETag"]
    since = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):  # a note: the version stays
        incidents.incident_comment(
            incident_id=incident.pk, actor=ben, body="Rebooted the gateway", visibility="internal"
        )
    response = client.get(url, {"since": since.isoformat()}, HTTP_IF_NONE_MATCH=seen)
    assert response.status_code == 200
    assert f"{incident.number} was changed by Ben Agent." in response.text
    assert "Rebooted the gateway" in response.text
    assert "1 new entry" in response.text
    assert response["ETag"] != seen
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_who_may_not_see_the_record_gets_nothing(desk, client, make_user):
    _group, _ana, _ben, incident = desk
    client.force_login(make_user(Role.END_USER))
    assert client.get(reverse("live:record_state", args=[incident.number])).status_code == 403
    client.force_login(make_user(Role.AGENT))
    assert client.get(reverse("live:record_state", args=["INC9999999"])).status_code == 404
    assert client.get(reverse("live:record_state", args=["XYZ1"])).status_code == 404


def test_the_queue_stamp_moves_when_a_record_of_its_group_is_committed(
    desk, client, django_capture_on_commit_callbacks
):
    group, ana, ben, incident = desk
    cache.clear()
    client.force_login(ana)
    url = reverse("live:queue_stamp", args=["incident"])
    first = client.get(url, {"support_group": group.pk})
    assert first.status_code == 204
    etag = first["ETag"]
    assert client.get(url, {"support_group": group.pk}, HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_assign(
            incident_id=incident.pk, actor=ana, support_group=group, assignee=ben
        )
    again = client.get(url, {"support_group": group.pk}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 204 and again["ETag"] != etag
    other = SupportGroup.objects.create(name="Network")
    assert client.get(url, {"support_group": other.pk}).status_code == 204
    assert client.get(reverse("live:queue_stamp", args=["nothing"])).status_code == 404


def test_the_queue_page_carries_its_poll(desk, client):
    _group, ana, _ben, _incident = desk
    client.force_login(ana)
    page = client.get(reverse("incidents:queue"))
    assert 'data-live-queue="/live/queues/incident/"' in page.text
