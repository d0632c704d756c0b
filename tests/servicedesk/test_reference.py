"""The reference-data API (/api/v1/reference/...): staff read, administrators write, every
write through `kernel.reference_put`; look-ups by name or external id; bulk upserts all or
nothing; and the services the imports use to find or create rows on the fly."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts.models import Organisation, SupportGroup, User
from accounts.roles import Role
from incidents.levels import resolution_choices
from incidents.models import Category, ResolutionCodeOption
from servicedesk import services as kernel
from servicedesk.actors import system_actor
from servicedesk.reference import reference_kind
from tests.factories import OrganisationFactory, SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api():
    client = APIClient()
    client.force_authenticate(UserFactory(role=Role.ADMINISTRATOR))
    return client


@pytest.fixture
def agent_api():
    client = APIClient()
    client.force_authenticate(UserFactory(role=Role.AGENT))
    return client


def test_a_person_is_created_with_manager_department_and_organisation(admin_api):
    org = OrganisationFactory(name="Acme")
    boss = UserFactory(organisation=org)
    department = admin_api.post(
        "/api/v1/reference/departments/", {"organisation": org.pk, "name": "Finance"}
    ).json()
    answer = admin_api.post(
        "/api/v1/reference/users/",
        {
            "email": "Jane@Acme.example", "full_name": "Jane Roe", "organisation": org.pk,
            "department": department["id"], "manager": boss.pk, "source": "hr",
            "external_id": "E-1001",
        },
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    jane = User.objects.get(pk=answer.json()["id"])
    assert (jane.email, jane.manager, jane.department.name) == (
        "jane@acme.example",
        boss,
        "Finance",
    )
    assert not jane.has_usable_password()
    found = admin_api.get("/api/v1/reference/users/?source=hr&external_id=E-1001").json()
    assert [row["id"] for row in found["results"]] == [jane.pk]
    by_name = admin_api.get("/api/v1/reference/users/?name=jane roe").json()
    assert [row["id"] for row in by_name["results"]] == [jane.pk]


def test_a_department_of_another_organisation_is_refused(admin_api):
    acme, other = OrganisationFactory(), OrganisationFactory()
    department = admin_api.post(
        "/api/v1/reference/departments/", {"organisation": other.pk, "name": "Legal"}
    ).json()
    answer = admin_api.post(
        "/api/v1/reference/users/",
        {"email": "x@example.com", "full_name": "X", "organisation": acme.pk,
         "department": department["id"]},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "department" in answer.json()["errors"]
    assert not User.objects.filter(email="x@example.com").exists()


def test_agents_read_reference_data_but_do_not_write_it(agent_api):
    SupportGroupFactory(name="Network")
    assert agent_api.get("/api/v1/reference/groups/?name=network").json()["results"][0]["name"]
    refused = agent_api.post("/api/v1/reference/groups/", {"name": "Servers"})
    assert refused.status_code == 403
    assert not SupportGroup.objects.filter(name="Servers").exists()


def test_end_users_get_no_reference_data():
    client = APIClient()
    client.force_authenticate(UserFactory(role=Role.END_USER))
    assert client.get("/api/v1/reference/users/").status_code == 403


def test_a_group_gets_its_members_and_its_lead_is_one(admin_api):
    a, b = UserFactory(), UserFactory()
    answer = admin_api.post(
        "/api/v1/reference/groups/", {"name": "Servers", "members": [a.pk], "lead": b.pk},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    assert set(SupportGroup.objects.get(name="Servers").members.all()) == {a, b}


def test_bulk_upserts_by_external_id_then_name_all_or_nothing(admin_api):
    OrganisationFactory(name="Acme", code="acme")
    rows = [
        {"name": "Acme", "code": "acme", "is_active": False},
        {"name": "Globex", "code": "globex", "source": "crm", "external_id": "42"},
    ]
    answer = admin_api.post("/api/v1/reference/organisations/bulk/", rows, format="json")
    assert answer.json() == {"created": 1, "updated": 1}
    assert not Organisation.objects.get(code="acme").is_active
    renamed = [{"name": "Globex Corp", "code": "globex", "source": "crm", "external_id": "42"},
               {"name": "", "code": "bad code!"}]  # fmt: skip
    refused = admin_api.post("/api/v1/reference/organisations/bulk/", renamed, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"1"}
    assert Organisation.objects.filter(name="Globex").exists()  # row 0 was not kept


def test_categories_and_subcategories_by_path(admin_api):
    network = admin_api.post("/api/v1/reference/categories/", {"name": "Network"}).json()
    admin_api.post("/api/v1/reference/categories/", {"name": "VPN", "parent": network["id"]})
    kind = reference_kind("category")
    vpn = kernel.reference_by_name(kind=kind, name="network / vpn")
    assert vpn is not None and vpn.parent_id == network["id"]
    assert kernel.reference_by_name(kind=kind, name="VPN") is None  # a top-level name only


def test_resolution_codes_are_a_list_the_administrator_keeps(admin_api):
    answer = admin_api.post(
        "/api/v1/reference/resolution-codes/",
        {"code": "vendor_fix", "label": "Fixed by vendor"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert "vendor_fix" in dict(resolution_choices())
    code = ResolutionCodeOption.objects.get(code="vendor_fix")
    renamed = admin_api.patch(
        f"/api/v1/reference/resolution-codes/{code.pk}/", {"code": "other"}, format="json"
    )
    assert renamed.status_code == 400
    off = admin_api.patch(
        f"/api/v1/reference/resolution-codes/{code.pk}/", {"is_active": False}, format="json"
    )
    assert off.status_code == 200
    assert "vendor_fix" not in dict(resolution_choices())


def test_pending_reasons_channels_and_priority_levels_are_listed(agent_api):
    reasons = agent_api.get("/api/v1/reference/pending-reasons/").json()
    assert {"code": "customer", "label": "Awaiting customer"} in reasons
    assert {row["code"] for row in agent_api.get("/api/v1/reference/channels/").json()} >= {
        "phone", "email",
    }  # fmt: skip
    levels = agent_api.get("/api/v1/reference/priority-levels/").json()["results"]
    assert [row["level"] for row in levels] == [1, 2, 3, 4, 5]


def test_resolve_finds_or_creates_on_the_fly_or_names_the_unknown():
    actor = system_actor()
    group = reference_kind("group")
    with pytest.raises(ValidationError) as refused:
        kernel.reference_resolve(kind=group, value="Group 56", actor=actor, label="support group")
    assert "Unknown support group “Group 56”" in refused.value.messages[0]
    made = kernel.reference_resolve(
        kind=group, value="Group 56", actor=actor, source="servicenow", create=True
    )
    again = kernel.reference_resolve(kind=group, value="Group 56", actor=actor, source="servicenow")
    assert made == again
    person = kernel.reference_resolve(
        kind=reference_kind("user"), value="Caller 2403", actor=actor, create=True
    )
    assert (person.full_name, person.email) == ("Caller 2403", "caller.2403@imported.invalid")
    sub = kernel.reference_resolve(
        kind=reference_kind("category"), value="Category 26 / Subcategory 9", actor=actor,
        create=True,
    )  # fmt: skip
    assert Category.objects.get(pk=sub.pk).parent.name == "Category 26"


def test_many_are_created_at_once_and_clashes_go_one_by_one():
    UserFactory(email="taken.name@imported.invalid", full_name="Someone else")
    made = kernel.reference_create_many(
        kind=reference_kind("user"),
        values=["Ann Agent", "ann agent", "Taken Name", "bo@example.com", "Ann Agent"],
        actor=system_actor(),
        source="old-desk",
    )
    ann, ann_again = made["Ann Agent"], made["ann agent"]
    assert ann.email == "ann.agent@imported.invalid" and ann.full_name == "Ann Agent"
    assert ann_again.pk == ann.pk  # the same address: found, not made twice
    assert made["Taken Name"].email == "taken.name@imported.invalid"  # the one already there
    assert made["bo@example.com"].email == "bo@example.com"
    assert not made["bo@example.com"].has_usable_password()
    found = kernel.reference_find(kind=reference_kind("user"), value="Ann Agent", source="old-desk")
    assert found == ann

    groups = kernel.reference_create_many(
        kind=reference_kind("category"), values=["Network", "Network / VPN"], actor=system_actor()
    )
    assert groups["Network / VPN"].parent == groups["Network"]


def test_categories_made_in_bulk_are_in_every_process_copy_at_once():
    """bulk_create sends no signal: the bulk path itself retires the per-process copies, so the
    next create finds an imported category."""
    from incidents.selectors import category_get

    assert category_get(-1) is None  # the tree is now held in this process
    made = kernel.reference_create_many(
        kind=reference_kind("category"), values=["Printers"], actor=system_actor()
    )
    found = category_get(made["Printers"].pk)
    assert found is not None and found.name == "Printers"
