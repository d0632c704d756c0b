"""Merging a duplicate incident into another: what moves, what stays, and what is refused."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from rest_framework.test import APIClient

from incidents import services
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident
from servicedesk import services as kernel
from servicedesk.exceptions import ApplicationError, StaleVersion, TransitionNotAllowed
from servicedesk.models import AuditKind, Comment, LinkKind, RecordLink, Visibility
from servicedesk.selectors import record_links
from sla.models import SlaTimer, TimerState
from tests.incidents.factories import (
    EndUserFactory,
    RoutingRuleFactory,
    audit_events,
    incident,
    incident_in,
)


@pytest.fixture(autouse=True)
def catch_all_routing(db):
    return RoutingRuleFactory()


def merge(duplicate, survivor, actor, **kwargs):
    with transaction.atomic():
        return services.incident_merge(
            incident_id=duplicate.pk, into_id=survivor.pk, actor=actor, **kwargs
        )


def timer_states(record) -> dict[str, str]:
    timers = SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk
    )
    return {timer.metric: timer.state for timer in timers}


def comments_on(record):
    return Comment.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk
    ).order_by("created_at", "pk")


def test_merging_closes_the_duplicate_and_carries_its_replies_and_requester_over(agent):
    first_reporter = EndUserFactory(full_name="Ada First", email="ada@example.com")
    second_reporter = EndUserFactory(full_name="Bo Second", email="bo@example.com")
    survivor = incident(actor=first_reporter, title="Mail is down")
    duplicate = incident(actor=second_reporter, title="No e-mail since 9")
    with transaction.atomic():
        services.incident_comment(
            incident_id=duplicate.pk, actor=second_reporter, body="<p>Still nothing at 10.</p>"
        )
        services.incident_comment(
            incident_id=duplicate.pk, actor=agent, body="<p>Checking the relay.</p>",
            visibility=Visibility.INTERNAL,
        )  # fmt: skip
    survivor_timers = timer_states(survivor)
    assert survivor_timers and set(timer_states(duplicate).values()) == {TimerState.RUNNING}

    result = merge(duplicate, survivor, agent)

    duplicate.refresh_from_db()
    assert result.pk == survivor.pk
    assert duplicate.status == IncidentStatus.CANCELLED
    assert duplicate.resolution_code == ResolutionCode.DUPLICATE
    assert survivor.number in duplicate.resolution_notes
    (entry,) = record_links(record=duplicate, user=agent)
    assert (entry.kind, entry.label, entry.other.pk) == (
        LinkKind.DUPLICATE_OF,
        "duplicate of",
        survivor.pk,
    )
    (entry,) = record_links(record=survivor, user=agent)
    assert (entry.label, entry.other.pk) == ("has duplicate", duplicate.pk)
    # Public replies are copied, marked as from the duplicate; work notes stay where they were.
    (copied,) = comments_on(survivor)
    assert copied.author == second_reporter and copied.visibility == Visibility.PUBLIC
    assert f"From {duplicate.number}:" in copied.body and "Still nothing at 10." in copied.body
    # The survivor's clocks run on untouched; the duplicate's are cancelled.
    assert timer_states(survivor) == survivor_timers
    assert set(timer_states(duplicate).values()) == {TimerState.CANCELLED}


def test_merging_is_audited_on_both_incidents(agent):
    reporter = EndUserFactory(full_name="Bo Second", email="bo@example.com")
    survivor = incident(actor=agent)
    duplicate = incident(actor=reporter)

    merge(duplicate, survivor, agent)

    (merged,) = audit_events(survivor, kind=AuditKind.MERGED)
    assert merged.actor == agent and merged.new_text == duplicate.number and not merged.public
    assert "Bo Second (bo@example.com)" in merged.note and "affected too" in merged.note
    assert audit_events(survivor, kind=AuditKind.LINKED).count() == 1
    (status,) = audit_events(duplicate, kind=AuditKind.STATUS_CHANGED)
    assert (status.new_value, status.actor) == (IncidentStatus.CANCELLED, agent)
    assert status.note == f"Duplicate of {survivor.number}." and status.public
    assert audit_events(duplicate, kind=AuditKind.LINKED).count() == 1
    assert audit_events(duplicate, field="resolution_code").get().new_value == "duplicate"


def test_the_same_requester_is_not_named_again(agent, end_user):
    survivor = incident(actor=end_user)
    duplicate = incident(actor=end_user)

    merge(duplicate, survivor, agent)

    assert audit_events(survivor, kind=AuditKind.MERGED).get().note == ""


def test_an_existing_duplicate_link_is_kept_not_doubled(agent):
    survivor, duplicate = incident(actor=agent), incident(actor=agent)
    with transaction.atomic():
        kernel.record_link_add(
            source=duplicate, target=survivor, kind=LinkKind.DUPLICATE_OF, actor=agent
        )

    merge(duplicate, survivor, agent)

    assert RecordLink.objects.count() == 1


def test_merging_into_itself_a_closed_incident_or_from_a_closed_one_is_refused(agent):
    open_one = incident_in(IncidentStatus.IN_PROGRESS, agent=agent)
    other = incident_in(IncidentStatus.NEW, agent=agent)
    closed = incident_in(IncidentStatus.CLOSED, agent=agent)
    resolved = incident_in(IncidentStatus.RESOLVED, agent=agent)

    with pytest.raises(ApplicationError) as itself:
        merge(open_one, open_one, agent)
    with pytest.raises(TransitionNotAllowed) as into_closed:
        merge(open_one, closed, agent)
    with pytest.raises(TransitionNotAllowed) as into_resolved:
        merge(open_one, resolved, agent)
    with pytest.raises(TransitionNotAllowed) as from_closed:
        merge(closed, other, agent)

    assert itself.value.status_code == 400 and list(itself.value.errors) == ["into"]
    assert str(into_closed.value.message) == (
        f"{closed.number} is closed; merge into an open incident."
    )
    assert into_resolved.value.status_code == 409
    assert "can no longer be merged" in str(from_closed.value.message)
    open_one.refresh_from_db()
    assert open_one.status == IncidentStatus.IN_PROGRESS
    assert not RecordLink.objects.exists()


def test_a_duplicate_with_open_children_or_a_stale_version_is_refused(agent):
    survivor = incident(actor=agent)
    parent = incident(actor=agent)
    incident(actor=agent, parent=parent)
    duplicate = incident(actor=agent)

    with pytest.raises(TransitionNotAllowed) as children:
        merge(parent, survivor, agent)
    with pytest.raises(StaleVersion):
        merge(duplicate, survivor, agent, version=duplicate.version + 1)

    assert "open child incidents" in str(children.value.message)
    assert not RecordLink.objects.exists()


def test_end_users_may_not_merge(end_user):
    survivor, duplicate = incident(actor=end_user), incident(actor=end_user)

    with pytest.raises(PermissionDenied):
        merge(duplicate, survivor, end_user)

    duplicate.refresh_from_db()
    assert duplicate.status == IncidentStatus.NEW


# --- the page and the API -------------------------------------------------------------------


def test_merge_into_from_the_incident_page(client, agent):
    survivor, duplicate = incident(actor=agent), incident(actor=agent)
    client.force_login(agent)

    page = client.get(f"/incidents/{duplicate.number}/").content.decode()
    response = client.post(
        f"/incidents/{duplicate.number}/merge/",
        {"into": survivor.number.lower(), "version": duplicate.version},
        follow=True,
    )

    assert "Merge into…" in page and 'id="dialog-merge"' in page
    assert response.redirect_chain[-1][0] == f"/incidents/{survivor.number}/"
    assert f"{duplicate.number} is merged into {survivor.number}." in response.content.decode()
    assert f"{duplicate.number} merged into this record" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == IncidentStatus.CANCELLED


def test_the_page_shows_why_a_merge_is_refused_in_its_dialog(client, agent):
    duplicate = incident(actor=agent)
    closed = incident_in(IncidentStatus.CLOSED, agent=agent)
    client.force_login(agent)

    unknown = client.post(f"/incidents/{duplicate.number}/merge/", {"into": "INC9999999"})
    into_closed = client.post(f"/incidents/{duplicate.number}/merge/", {"into": closed.number})

    assert unknown.status_code == 400
    assert "No incident with this number." in unknown.content.decode()
    assert into_closed.status_code == 409
    assert (
        f"{closed.number} is closed; merge into an open incident." in into_closed.content.decode()
    )
    assert 'id="dialog-merge" class="dialog" open' in into_closed.content.decode()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_merges_and_answers_the_incident_that_stays(agent):
    survivor, duplicate = incident(actor=agent), incident(actor=agent)

    response = api_as(agent).post(
        f"/api/v1/incidents/{duplicate.number}/merge/", {"into": survivor.number}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["number"] == survivor.number
    duplicate.refresh_from_db()
    assert duplicate.status == IncidentStatus.CANCELLED


def test_the_api_refuses_merges_with_a_message(agent, end_user):
    duplicate = incident(actor=agent)
    closed = incident_in(IncidentStatus.CLOSED, agent=agent)
    mine, my_other = incident(actor=end_user), incident(actor=end_user)
    api = api_as(agent)
    url = f"/api/v1/incidents/{duplicate.number}/merge/"

    itself = api.post(url, {"into": duplicate.number}, format="json")
    unknown = api.post(url, {"into": "INC9999999"}, format="json")
    missing = api.post(url, {}, format="json")
    into_closed = api.post(url, {"into": closed.number}, format="json")
    by_end_user = api_as(end_user).post(
        f"/api/v1/incidents/{mine.number}/merge/", {"into": my_other.number}, format="json"
    )
    hidden = api_as(end_user).post(
        f"/api/v1/incidents/{duplicate.number}/merge/", {"into": mine.number}, format="json"
    )

    assert itself.status_code == 400
    assert itself.json()["errors"] == {"into": ["An incident cannot be merged into itself."]}
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"into": ["No incident with this number."]}
    assert missing.status_code == 400 and list(missing.json()["errors"]) == ["into"]
    assert into_closed.status_code == 409
    assert (
        into_closed.json()["detail"] == f"{closed.number} is closed; merge into an open incident."
    )
    assert by_end_user.status_code == 403
    assert hidden.status_code == 404
    assert not RecordLink.objects.exists()


def test_a_child_merges_into_its_parent_the_parent_locked_first(agent):
    child = incident(actor=agent)
    parent = incident(actor=agent)  # created later: the higher primary key
    with transaction.atomic():
        services.incident_update(incident_id=child.pk, actor=agent, changes={"parent": parent})

    assert services._merge_lock_order(child.pk, parent.pk) == [parent.pk, child.pk]
    assert services._merge_lock_order(parent.pk, child.pk) == [parent.pk, child.pk]
    merge(child, parent, agent)

    child.refresh_from_db()
    assert child.status == IncidentStatus.CANCELLED and child.parent_id == parent.pk
