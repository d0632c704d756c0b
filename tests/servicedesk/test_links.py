"""Record links: typed links between any two records, read from both sides, audited on both
timelines, shown only where the reader may see the other record, on the pages and in the API."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from catalogue import services as catalogue
from catalogue.models import ServiceRequest
from incidents.models import Incident
from servicedesk import services
from servicedesk.exceptions import AlreadyExists
from servicedesk.models import AuditEvent, AuditKind, LinkKind, RecordLink
from servicedesk.selectors import record_links, record_model_for_number
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.incidents.factories import RoutingRuleFactory, incident

LABELS = [
    (LinkKind.RELATED_TO, "related to", "related to"),
    (LinkKind.DUPLICATE_OF, "duplicate of", "has duplicate"),
    (LinkKind.CAUSED_BY, "caused by", "causes"),
    (LinkKind.FIXES, "fixes", "fixed by"),
    (LinkKind.PARENT_OF, "parent of", "child of"),
]


def link(source, target, kind=LinkKind.RELATED_TO, *, actor):
    with transaction.atomic():
        return services.record_link_add(source=source, target=target, kind=kind, actor=actor)


def events_of(record, kind):
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk, kind=kind
        )
    )


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def catch_all_routing(db):
    """End users' incidents are routed: one rule takes them all."""
    return RoutingRuleFactory()


@pytest.fixture
def world(db):
    world = laptop_setup()
    world.item.approval_rule = "none"
    world.item.save()
    return world


def a_request(world) -> ServiceRequest:
    return catalogue.request_create(actor=world.requester, item=world.item, answers=LAPTOP_ANSWERS)


# --- the kernel: labels, audit, refusals, visibility ----------------------------------------


@pytest.mark.parametrize(("kind", "from_source", "from_target"), LABELS)
def test_a_link_reads_from_both_records_with_the_right_label(agent, kind, from_source, from_target):
    first, second = incident(actor=agent), incident(actor=agent)

    link(first, second, kind, actor=agent)

    (seen_from_first,) = record_links(record=first, user=agent)
    assert (seen_from_first.label, seen_from_first.other.number) == (from_source, second.number)
    assert seen_from_first.outgoing
    (seen_from_second,) = record_links(record=second, user=agent)
    assert (seen_from_second.label, seen_from_second.other.number) == (from_target, first.number)
    assert not seen_from_second.outgoing


def test_adding_and_removing_a_link_is_audited_on_both_records(agent):
    first, second = incident(actor=agent), incident(actor=agent)

    created = link(first, second, LinkKind.CAUSED_BY, actor=agent)

    (on_first,) = events_of(first, AuditKind.LINKED)
    (on_second,) = events_of(second, AuditKind.LINKED)
    assert on_first.actor == on_second.actor == agent
    assert on_first.new_value == {"kind": "caused_by", "reverse": False, "number": second.number}
    assert on_second.new_value == {"kind": "caused_by", "reverse": True, "number": first.number}
    assert not on_first.public and not on_second.public  # the desk's notes, not the requester's

    with transaction.atomic():
        services.record_link_remove(link_id=created.pk, actor=agent)

    assert not RecordLink.objects.exists()
    (removed_first,) = events_of(first, AuditKind.UNLINKED)
    (removed_second,) = events_of(second, AuditKind.UNLINKED)
    assert removed_first.old_value["number"] == second.number
    assert removed_second.old_value == {
        "kind": "caused_by",
        "reverse": True,
        "number": first.number,
    }


def test_the_same_link_again_or_its_reverse_is_refused_another_kind_is_not(agent):
    first, second = incident(actor=agent), incident(actor=agent)
    link(first, second, LinkKind.DUPLICATE_OF, actor=agent)

    with pytest.raises(AlreadyExists) as again:
        link(first, second, LinkKind.DUPLICATE_OF, actor=agent)
    with pytest.raises(AlreadyExists):
        link(second, first, LinkKind.DUPLICATE_OF, actor=agent)
    link(first, second, LinkKind.CAUSED_BY, actor=agent)

    assert again.value.status_code == 409
    assert "already linked" in str(again.value.message)
    assert RecordLink.objects.count() == 2
    assert len(events_of(first, AuditKind.LINKED)) == 2  # nothing written for the refusals


def test_a_record_is_not_linked_to_itself_nor_with_an_unknown_kind(agent):
    record = incident(actor=agent)
    other = incident(actor=agent)

    with pytest.raises(ValidationError) as itself:
        link(record, record, actor=agent)
    with pytest.raises(ValidationError) as unknown:
        link(record, other, "blocks", actor=agent)

    assert list(itself.value.message_dict) == ["target"]
    assert list(unknown.value.message_dict) == ["kind"]
    assert not RecordLink.objects.exists()


def test_the_database_refuses_a_self_link_and_an_unknown_kind(agent):
    record = incident(actor=agent)
    other = incident(actor=agent)
    incident_type = ContentType.objects.get_for_model(Incident)
    same = {"source_type": incident_type, "target_type": incident_type}

    with pytest.raises(IntegrityError), transaction.atomic():
        RecordLink.objects.create(
            source_id=record.pk, target_id=record.pk, kind="related_to", **same
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RecordLink.objects.create(source_id=record.pk, target_id=other.pk, kind="blocks", **same)


def test_end_users_may_not_link_records(end_user):
    first, second = incident(actor=end_user), incident(actor=end_user)

    with pytest.raises(PermissionDenied):
        link(first, second, actor=end_user)

    assert not RecordLink.objects.exists()


def test_a_link_to_a_record_the_reader_may_not_see_is_left_out(agent, end_user, make_user, world):
    mine = incident(actor=end_user)
    someone_elses = incident(actor=make_user(full_name="Other Person"))
    my_other = incident(actor=end_user)
    link(mine, someone_elses, LinkKind.DUPLICATE_OF, actor=agent)
    link(my_other, mine, LinkKind.CAUSED_BY, actor=agent)
    request = a_request(world)  # world.requester's, not end_user's
    link(request, mine, LinkKind.FIXES, actor=agent)

    seen_by_requester = [
        (e.label, e.other.number) for e in record_links(record=mine, user=end_user)
    ]
    seen_by_agent = [e.other.number for e in record_links(record=mine, user=agent)]

    assert seen_by_requester == [("causes", my_other.number)]
    assert seen_by_agent == [someone_elses.number, my_other.number, request.number]


def test_a_number_names_its_record_type_by_prefix(db):
    assert record_model_for_number("inc42") == (Incident, "INC0000042")
    assert record_model_for_number(" REQ0000007 ") == (ServiceRequest, "REQ0000007")
    assert record_model_for_number("TSK1")[1] == "TSK0000001"
    assert record_model_for_number("INC") is None
    assert record_model_for_number("XYZ12") is None
    assert record_model_for_number("INC12a") is None


# --- the pages ------------------------------------------------------------------------------


def test_an_agent_links_a_request_from_the_incident_page_and_both_pages_show_it(client, world):
    agent = world.tech
    record = incident(actor=agent)
    request = a_request(world)
    client.force_login(agent)

    response = client.post(
        f"/records/{record.number}/links/",
        {"kind": "caused_by", "number": request.number.lower()},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/incidents/{record.number}/"
    assert f"{record.number} is now caused by {request.number}." in response.content.decode()
    (entry,) = response.context["links"]
    assert (entry.label, entry.other.number) == ("caused by", request.number)
    page = response.content.decode()
    assert "Linked records" in page and f"Linked: caused by {request.number}" in page
    request_page = client.get(f"/catalogue/requests/{request.number}/")
    (entry,) = request_page.context["links"]
    assert (entry.label, entry.other.number) == ("causes", record.number)
    assert f"Linked: causes {record.number}" in request_page.content.decode()


def test_the_page_form_says_when_the_number_is_unknown_or_the_link_is_refused(client, agent):
    record = incident(actor=agent)
    other = incident(actor=agent)
    link(record, other, actor=agent)
    client.force_login(agent)

    unknown = client.post(
        f"/records/{record.number}/links/", {"kind": "related_to", "number": "INC9999999"},
        follow=True,
    )  # fmt: skip
    again = client.post(
        f"/records/{record.number}/links/", {"kind": "related_to", "number": other.number},
        follow=True,
    )  # fmt: skip

    assert "No record with the number INC9999999." in unknown.content.decode()
    assert "already linked" in again.content.decode()
    assert RecordLink.objects.count() == 1


def test_an_agent_removes_a_link_from_either_page(client, agent):
    record = incident(actor=agent)
    other = incident(actor=agent)
    created = link(record, other, actor=agent)
    client.force_login(agent)

    response = client.post(f"/records/{other.number}/links/{created.pk}/remove/", follow=True)

    assert response.redirect_chain[-1][0] == f"/incidents/{other.number}/"
    assert "Link removed." in response.content.decode()
    assert not RecordLink.objects.exists()
    assert len(events_of(record, AuditKind.UNLINKED)) == 1


def test_a_link_is_removed_only_through_one_of_its_records(client, agent):
    record, other, third = (incident(actor=agent) for _ in range(3))
    created = link(record, other, actor=agent)
    client.force_login(agent)

    response = client.post(f"/records/{third.number}/links/{created.pk}/remove/")

    assert response.status_code == 404
    assert RecordLink.objects.filter(pk=created.pk).exists()


def test_end_users_reach_neither_the_link_forms_nor_the_links_on_the_portal(
    client, agent, end_user
):
    mine = incident(actor=end_user)
    other = incident(actor=end_user)
    created = link(mine, other, LinkKind.DUPLICATE_OF, actor=agent)
    client.force_login(end_user)

    add = client.post(f"/records/{mine.number}/links/", {"kind": "fixes", "number": other.number})
    remove = client.post(f"/records/{mine.number}/links/{created.pk}/remove/")
    portal_page = client.get(f"/portal/incidents/{mine.number}/")
    portal = portal_page.content.decode()

    assert add.status_code == remove.status_code == 403
    assert portal_page.status_code == 200 and mine.number in portal
    assert RecordLink.objects.count() == 1
    assert "Linked" not in portal and other.number not in portal


# --- the API --------------------------------------------------------------------------------


def test_the_api_creates_lists_and_deletes_links(agent):
    first, second = incident(actor=agent), incident(actor=agent)
    api = api_as(agent)

    created = api.post(
        "/api/v1/links/",
        {"source": first.number, "target": second.number, "kind": "duplicate_of"},
        format="json",
    )
    from_second = api.get("/api/v1/links/", {"record": second.number})

    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["label"], body["direction"], body["number"]) == (
        "duplicate_of", "duplicate of", "outgoing", second.number,
    )  # fmt: skip
    assert from_second.status_code == 200
    (entry,) = from_second.json()
    assert (entry["label"], entry["direction"], entry["number"]) == (
        "has duplicate", "incoming", first.number,
    )  # fmt: skip

    deleted = api.delete(f"/api/v1/links/{body['id']}/")

    assert deleted.status_code == 204
    assert api.get("/api/v1/links/", {"record": first.number}).json() == []
    assert len(events_of(second, AuditKind.UNLINKED)) == 1


def test_the_api_answers_errors_in_its_shape(agent, end_user, make_user):
    first, second = incident(actor=agent), incident(actor=agent)
    api = api_as(agent)
    api.post(
        "/api/v1/links/",
        {"source": first.number, "target": second.number, "kind": "fixes"},
        format="json",
    )

    again = api.post(
        "/api/v1/links/",
        {"source": second.number, "target": first.number, "kind": "fixes"},
        format="json",
    )
    itself = api.post(
        "/api/v1/links/",
        {"source": first.number, "target": first.number, "kind": "fixes"},
        format="json",
    )
    bad_kind = api.post(
        "/api/v1/links/",
        {"source": first.number, "target": second.number, "kind": "blocks"},
        format="json",
    )
    missing = api.post(
        "/api/v1/links/",
        {"source": first.number, "target": "INC9999999", "kind": "fixes"},
        format="json",
    )
    no_record = api.get("/api/v1/links/")
    unknown_parameter = api.get("/api/v1/links/", {"record": first.number, "recrod": "x"})
    no_such_link = api.delete("/api/v1/links/999999/")

    assert again.status_code == 409 and "already linked" in again.json()["detail"]
    assert itself.status_code == 400 and list(itself.json()["errors"]) == ["target"]
    assert bad_kind.status_code == 400 and list(bad_kind.json()["errors"]) == ["kind"]
    assert missing.status_code == 404 and missing.json()["errors"] == {}
    assert no_record.status_code == 400 and list(no_record.json()["errors"]) == ["record"]
    assert unknown_parameter.status_code == 400
    assert list(unknown_parameter.json()["errors"]) == ["recrod"]
    assert no_such_link.status_code == 404
    assert RecordLink.objects.count() == 1


def test_the_api_hides_records_and_links_an_end_user_may_not_see(agent, end_user, make_user):
    mine = incident(actor=end_user)
    my_other = incident(actor=end_user)
    someone_elses = incident(actor=make_user(full_name="Other Person"))
    api_as(agent).post(
        "/api/v1/links/",
        {"source": mine.number, "target": someone_elses.number, "kind": "duplicate_of"},
        format="json",
    )
    hidden_link = RecordLink.objects.get()
    visible_link = link(mine, my_other, actor=agent)
    api = api_as(end_user)

    listed = api.get("/api/v1/links/", {"record": mine.number})
    of_hidden = api.get("/api/v1/links/", {"record": someone_elses.number})
    create = api.post(
        "/api/v1/links/",
        {"source": mine.number, "target": my_other.number, "kind": "fixes"},
        format="json",
    )
    delete_hidden = api.delete(f"/api/v1/links/{hidden_link.pk}/")
    delete_visible = api.delete(f"/api/v1/links/{visible_link.pk}/")

    assert listed.status_code == 200
    assert [entry["number"] for entry in listed.json()] == [my_other.number]
    assert of_hidden.status_code == 404
    assert create.status_code == 403
    assert delete_hidden.status_code == 404
    assert delete_visible.status_code == 403
    assert RecordLink.objects.count() == 2
