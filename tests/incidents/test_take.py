"""Taking an incident ("assign to me") never silently moves somebody else's work.

Without the version the caller saw, an incident another agent holds is refused (409, the
holder named); with the current version it is taken over; with an old one it is refused as any
stale write. Two agents taking one incident at once: exactly one wins.
"""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from rest_framework.test import APIClient

from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident
from servicedesk.exceptions import StaleVersion
from servicedesk.models import AuditEvent
from tests.incidents.factories import AgentFactory, SupportGroupFactory, incident

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every writer: run with DATABASE_URL=postgres://... for real "
    "concurrency (the sequential tests above run everywhere)",
)


@pytest.fixture
def desk(db):
    arash = AgentFactory(full_name="Arash Agent")
    bahar = AgentFactory(full_name="Bahar Agent")
    group = SupportGroupFactory(name="Service Desk", members=[arash, bahar])
    return arash, bahar, group


def unassigned(group, actor):
    return incident(actor=actor, support_group=group)


def taken_by(person, group):
    record = unassigned(group, person)
    with transaction.atomic():
        services.incident_take(incident_id=record.pk, actor=person)
    record.refresh_from_db()
    return record


def assignee_changes(record):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=record.pk,
        field="assignee",
    ).count()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestTakeService:
    def test_an_unassigned_incident_is_taken_without_a_version(self, desk):
        arash, _bahar, group = desk
        record = unassigned(group, arash)
        with transaction.atomic():
            services.incident_take(incident_id=record.pk, actor=arash)
        record.refresh_from_db()
        assert (record.assignee, record.status) == (arash, IncidentStatus.ASSIGNED)

    def test_somebody_elses_incident_without_a_version_is_refused_and_left_alone(self, desk):
        arash, bahar, group = desk
        record = taken_by(arash, group)
        before = (record.version, assignee_changes(record))

        with pytest.raises(StaleVersion) as refused, transaction.atomic():
            services.incident_take(incident_id=record.pk, actor=bahar)

        assert str(refused.value.message) == (
            f"{record.number} is already assigned to Arash Agent. Reload it, and take it over "
            "from there if you mean to."
        )
        assert refused.value.status_code == 409
        record.refresh_from_db()
        assert record.assignee == arash
        assert (record.version, assignee_changes(record)) == before

    def test_with_the_version_the_caller_saw_it_is_taken_over(self, desk):
        arash, bahar, group = desk
        record = taken_by(arash, group)
        with transaction.atomic():
            services.incident_take(incident_id=record.pk, actor=bahar, version=record.version)
        record.refresh_from_db()
        assert record.assignee == bahar
        assert record.reassignment_count == 1

    def test_an_old_version_is_refused(self, desk):
        arash, bahar, group = desk
        record = unassigned(group, arash)
        seen = record.version
        with transaction.atomic():
            services.incident_take(incident_id=record.pk, actor=arash)
        with pytest.raises(StaleVersion), transaction.atomic():
            services.incident_take(incident_id=record.pk, actor=bahar, version=seen)
        record.refresh_from_db()
        assert record.assignee == arash

    def test_taking_ones_own_incident_again_changes_nothing(self, desk):
        arash, _bahar, group = desk
        record = taken_by(arash, group)
        with transaction.atomic():
            services.incident_take(incident_id=record.pk, actor=arash)
        stored = Incident.objects.get(pk=record.pk)
        assert (stored.assignee, stored.version) == (arash, record.version)

    def test_bulk_take_leaves_incidents_others_hold(self, desk):
        arash, bahar, group = desk
        free = unassigned(group, arash)
        held = taken_by(arash, group)
        result = services.incidents_bulk_take(incident_ids=[free.pk, held.pk], actor=bahar)
        assert result.done == [free.number]
        assert [number for number, _reason in result.failed] == [held.number]
        assert "already assigned to Arash Agent" in result.failed[0][1]
        assert Incident.objects.get(pk=held.pk).assignee == arash
        assert Incident.objects.get(pk=free.pk).assignee == bahar


class TestTakeApiAndPage:
    def test_api_take_without_version_on_a_held_incident_is_409(self, desk):
        arash, bahar, group = desk
        record = taken_by(arash, group)
        response = api(bahar).post(f"/api/v1/incidents/{record.number}/take/", {}, format="json")
        assert response.status_code == 409
        assert response.json() == {
            "detail": f"{record.number} is already assigned to Arash Agent. Reload it, and "
            "take it over from there if you mean to.",
            "errors": {},
        }
        assert Incident.objects.get(pk=record.pk).assignee == arash

    def test_api_take_with_the_current_version_takes_it_over(self, desk):
        arash, bahar, group = desk
        record = taken_by(arash, group)
        response = api(bahar).post(
            f"/api/v1/incidents/{record.number}/take/", {"version": record.version}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["assignee"]["id"] == bahar.pk

    def test_the_pages_button_sends_the_rendered_version_and_shows_the_conflict(self, client, desk):
        arash, bahar, group = desk
        record = unassigned(group, arash)
        client.force_login(bahar)
        page = client.get(f"/incidents/{record.number}/").content.decode()
        assert f'name="version" value="{record.version}"' in page
        with transaction.atomic():  # meanwhile Arash takes it
            services.incident_take(incident_id=record.pk, actor=arash)

        response = client.post(
            f"/incidents/{record.number}/take/", {"version": record.version}, follow=True
        )

        shown = [str(m) for m in response.context["messages"]]
        assert any("Somebody else changed this record" in text for text in shown)
        assert Incident.objects.get(pk=record.pk).assignee == arash

    def test_a_version_that_is_no_number_is_a_message_not_a_500(self, client, desk):
        arash, bahar, group = desk
        record = taken_by(arash, group)
        client.force_login(bahar)
        response = client.post(f"/incidents/{record.number}/take/", {"version": "x1"}, follow=True)
        assert response.status_code == 200
        shown = [str(m) for m in response.context["messages"]]
        assert any("already assigned to Arash Agent" in text for text in shown)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_takes_one_wins_the_other_gets_409():
    arash = AgentFactory(full_name="Arash Agent")
    bahar = AgentFactory(full_name="Bahar Agent")
    group = SupportGroupFactory(name="Service Desk", members=[arash, bahar])
    record = unassigned(group, arash)
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def take(agent):
        try:
            client = api(agent)
            barrier.wait(timeout=10)
            response = client.post(f"/api/v1/incidents/{record.number}/take/", {}, format="json")
            results[agent.full_name] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(agent,)) for agent in (arash, bahar)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == [200, 409]
    winner = next(name for name, code in results.items() if code == 200)
    record.refresh_from_db()
    assert record.assignee.full_name == winner
    assert assignee_changes(record) == 1
