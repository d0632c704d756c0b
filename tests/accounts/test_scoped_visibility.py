"""Scoped visibility (SCOPED_VISIBILITY on): an agent sees the records of the organisations
their groups serve and the desk's own (no organisation); managers see all; a customer's team
lead sees their organisation's records in the portal when allowed. Hidden records are 404 in
pages and the API alike. Off, nothing changes."""

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import Role
from catalogue.models import ServiceRequest
from catalogue.selectors import requests_visible_to
from incidents.selectors import incidents_visible_to
from tests.catalogue.factories import LAPTOP_ANSWERS, laptop_setup
from tests.factories import OrganisationFactory, UserFactory
from tests.incidents.factories import SupportGroupFactory, incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(settings):
    settings.SCOPED_VISIBILITY = True


@pytest.fixture
def world():
    acme = OrganisationFactory(name="Acme", code="acme")
    globex = OrganisationFactory(name="Globex", code="globex")
    acme_agent = UserFactory(role=Role.AGENT, full_name="Ana Acme-desk", organisation=None)
    any_agent = UserFactory(role=Role.AGENT, full_name="Bo Everyone", organisation=None)
    manager = UserFactory(role=Role.DESK_MANAGER, full_name="Mona Manager", organisation=None)
    acme_desk = SupportGroupFactory(name="Acme desk", members=[acme_agent])
    acme_desk.organisations.add(acme)
    everyone = SupportGroupFactory(name="Everyone", members=[any_agent])
    lead = UserFactory(role=Role.END_USER, full_name="Lea Lead", organisation=acme)
    colleague = UserFactory(role=Role.END_USER, full_name="Carl Colleague", organisation=acme)
    outsider = UserFactory(role=Role.END_USER, full_name="Gus Globex", organisation=globex)
    return {
        "acme_agent": acme_agent, "any_agent": any_agent, "manager": manager, "lead": lead,
        "colleague": colleague, "outsider": outsider, "acme_desk": acme_desk,
        "everyone": everyone,
        "acme": incident(actor=any_agent, requester=colleague, support_group=everyone),
        "globex": incident(actor=any_agent, requester=outsider, support_group=everyone),
        "internal": incident(actor=any_agent, requester=any_agent, support_group=everyone),
    }  # fmt: skip


def numbers(user):
    return set(incidents_visible_to(user).values_list("number", flat=True))


def test_an_agent_sees_the_organisations_their_groups_serve_and_the_desks_own(scoped, world):
    w = world
    assert numbers(w["acme_agent"]) == {w["acme"].number, w["internal"].number}


def test_a_group_that_names_no_organisation_serves_them_all(scoped, world):
    w = world
    assert numbers(w["any_agent"]) == {w["acme"].number, w["globex"].number, w["internal"].number}


def test_managers_see_every_organisation(scoped, world):
    assert len(numbers(world["manager"])) == 3


def test_off_by_default_every_agent_sees_everything(world):
    assert len(numbers(world["acme_agent"])) == 3


def test_out_of_scope_is_404_on_the_page_and_in_the_api(scoped, world, client):
    w = world
    client.force_login(w["acme_agent"])
    assert client.get(f"/incidents/{w['globex'].number}/").status_code == 404
    assert client.get(f"/api/v1/incidents/{w['globex'].number}/").status_code == 404
    page = client.get(f"/incidents/{w['acme'].number}/")
    assert page.status_code == 200 and w["acme"].title in page.content.decode()
    listed = client.get("/api/v1/incidents/?status=new").json()["results"]
    assert w["globex"].number not in {row["number"] for row in listed}
    assert w["acme"].number in {row["number"] for row in listed}


def test_the_queue_page_lists_only_what_is_in_scope(scoped, world, client):
    w = world
    w["globex"].title = "Globex printer on fire"
    w["globex"].save(update_fields=["title"])
    client.force_login(w["acme_agent"])
    page = client.get("/incidents/?queue=all").content.decode()
    assert w["acme"].number in page and w["globex"].number not in page


def grant_organisation_records(user):
    user.user_permissions.add(
        Permission.objects.get(
            codename="view_organisation_records", content_type__app_label="accounts"
        )
    )


def test_a_team_lead_allowed_to_sees_colleagues_records_in_the_portal(scoped, world, client):
    w = world
    grant_organisation_records(w["lead"])
    client.force_login(w["lead"])

    listing = client.get("/portal/incidents/?show=all&whose=organisation").content.decode()
    assert w["acme"].number in listing and "Carl Colleague" in listing
    assert w["globex"].number not in listing
    assert w["acme"].number not in client.get("/portal/incidents/?show=all").content.decode()
    assert client.get(f"/portal/incidents/{w['acme'].number}/").status_code == 200
    assert client.get(f"/portal/incidents/{w['globex'].number}/").status_code == 404


def test_without_the_grant_a_colleagues_record_is_404(scoped, world, client):
    w = world
    client.force_login(w["lead"])
    assert client.get(f"/portal/incidents/{w['acme'].number}/").status_code == 404
    assert "All of Acme" not in client.get("/portal/incidents/").content.decode()


def test_service_requests_follow_the_same_scope(scoped):
    from catalogue import services

    shop = laptop_setup()
    acme = OrganisationFactory(name="Acme", code="acme")
    globex = OrganisationFactory(name="Globex", code="globex")
    shop.desk.organisations.add(acme)
    shop.requester.organisation = globex
    shop.requester.save()
    ordered = services.request_create(actor=shop.requester, item=shop.item, answers=LAPTOP_ANSWERS)
    assert ordered.organisation_id == globex.pk

    assert not requests_visible_to(shop.agent).filter(pk=ordered.pk).exists()  # Acme's desk
    shop.requester.organisation = acme
    shop.requester.save()
    ServiceRequest.objects.filter(pk=ordered.pk).update(organisation=acme)
    assert requests_visible_to(shop.agent).filter(pk=ordered.pk).exists()


def test_problems_and_changes_follow_the_scope_too(scoped, world):
    from changes.models import Change
    from changes.selectors import changes_visible_to
    from problems.models import Problem
    from problems.selectors import problems_visible_to
    from tests.changes.factories import raise_change
    from tests.problems.factories import problem

    w = world
    globex = w["outsider"].organisation
    theirs, ours = problem(), problem()
    Problem.objects.filter(pk=theirs.pk).update(organisation=globex)
    change = raise_change(w["any_agent"], support_group=w["everyone"])
    Change.objects.filter(pk=change.pk).update(organisation=globex)

    assert set(problems_visible_to(w["acme_agent"])) == {ours}
    assert set(problems_visible_to(w["manager"])) == {ours, theirs}
    assert not changes_visible_to(w["acme_agent"]).filter(pk=change.pk).exists()
    assert changes_visible_to(w["any_agent"]).filter(pk=change.pk).exists()
