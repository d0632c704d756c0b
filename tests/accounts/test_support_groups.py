"""Support groups (lead and members), organisations and departments, and the reads on them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import SupportGroup, User
from accounts.roles import Role
from accounts.selectors import (
    organisations_with_people,
    people_per_role,
    support_group_overview,
    support_groups_of,
)
from accounts.services import support_group_set_lead
from tests.factories import DepartmentFactory, OrganisationFactory, SupportGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(make_user):
    lead = make_user(Role.GROUP_LEAD, full_name="Nina Novak")
    member = make_user(Role.AGENT, full_name="Carla Rossi")
    group = SupportGroupFactory(name="Network", email="network@example.com")
    group.members.add(member)
    support_group_set_lead(group=group, lead=lead, actor=lead)
    return group


def test_lead_and_members_are_reachable_from_both_sides(network):
    lead = User.objects.get(full_name="Nina Novak")
    member = User.objects.get(full_name="Carla Rossi")

    assert network.lead == lead
    assert list(lead.led_groups.all()) == [network]
    assert set(network.members.all()) == {lead, member}
    assert list(member.support_groups.all()) == [network]
    assert list(member.led_groups.all()) == []


def test_the_lead_is_always_a_member(make_user):
    group = SupportGroupFactory(name="Servers")
    lead = make_user(Role.GROUP_LEAD)

    support_group_set_lead(group=group, lead=lead, actor=lead)
    support_group_set_lead(group=group, lead=lead, actor=lead)  # again: still one membership

    group.refresh_from_db()
    assert group.lead == lead
    assert list(group.members.all()) == [lead]


def test_changing_the_lead_keeps_the_previous_one_as_a_member(network, make_user):
    old_lead = network.lead
    new_lead = make_user(Role.GROUP_LEAD, full_name="Lena Fischer")

    support_group_set_lead(group=network, lead=new_lead, actor=new_lead)

    network.refresh_from_db()
    assert network.lead == new_lead
    assert {old_lead, new_lead} <= set(network.members.all())


def test_a_group_may_have_no_lead(network):
    support_group_set_lead(group=network, lead=None, actor=network.lead)

    network.refresh_from_db()
    assert network.lead is None
    assert network.members.count() == 2


def test_deleting_the_lead_leaves_the_group_without_one(network):
    network.lead.delete()

    network.refresh_from_db()
    assert network.lead is None
    assert [m.full_name for m in network.members.all()] == ["Carla Rossi"]


def test_group_names_are_unique(network):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportGroup.objects.create(name="Network")


# --- support_groups_of -------------------------------------------------------------------------


def test_support_groups_of_lists_each_active_group_once_by_name(
    make_user, django_assert_num_queries
):
    person = make_user(Role.GROUP_LEAD)
    other = make_user(Role.AGENT)
    servers = SupportGroupFactory(name="Servers")
    applications = SupportGroupFactory(name="Applications")
    led_only = SupportGroupFactory(name="Backups", lead=person)
    retired = SupportGroupFactory(name="Mainframe", is_active=False)
    SupportGroupFactory(name="Not mine").members.add(other)
    servers.members.add(person, other)
    applications.members.add(person)
    support_group_set_lead(group=servers, lead=person, actor=person)  # member and lead
    retired.members.add(person)

    with django_assert_num_queries(2):  # the groups with their leads, then the members
        groups = list(support_groups_of(person))
        members = {group.name: sorted(m.pk for m in group.members.all()) for group in groups}
        leads = {group.name: group.lead for group in groups}

    assert [group.name for group in groups] == ["Applications", "Backups", "Servers"]
    assert leads == {"Applications": None, "Backups": person, "Servers": person}
    assert members == {
        "Applications": [person.pk],
        "Backups": [],
        "Servers": sorted([person.pk, other.pk]),
    }
    assert led_only in groups


def test_support_groups_of_someone_in_no_group_is_empty(make_user):
    assert list(support_groups_of(make_user(Role.AGENT))) == []


# --- support_group_overview ------------------------------------------------------------------


def test_overview_counts_members_and_loads_leads_in_one_query(
    network, make_user, django_assert_num_queries
):
    SupportGroupFactory(name="Applications")
    SupportGroupFactory(name="Retired", is_active=False).members.add(make_user(Role.AGENT))

    with django_assert_num_queries(1):
        rows = [
            (group.name, group.lead.full_name if group.lead else None, group.member_count)
            for group in support_group_overview()
        ]

    assert rows == [("Applications", None, 0), ("Network", "Nina Novak", 2)]


# --- people_per_role ---------------------------------------------------------------------------


def test_people_per_role_counts_active_people_in_role_order(make_user):
    from django.contrib.auth.models import Group

    make_user(Role.END_USER)
    make_user(Role.END_USER)
    make_user(Role.END_USER, is_active=False)
    both = make_user(Role.AGENT)
    both.groups.add(Group.objects.get(name=Role.CAB_MEMBER))

    counts = people_per_role()

    assert [label for label, _count in counts] == [role.label for role in Role]
    assert dict(counts) == {
        "End user": 2,
        "Agent": 1,
        "Support group lead": 0,
        "Problem manager": 0,
        "Change manager": 0,
        "CAB member": 1,
        "Configuration manager": 0,
        "Knowledge manager": 0,
        "Service desk manager": 0,
        "Administrator": 0,
    }


# --- Organisations and departments ---------------------------------------------------------------


def test_organisations_with_people_counts_active_people_and_departments(make_user):
    northwind = OrganisationFactory(name="Northwind Trading", code="northwind")
    contoso = OrganisationFactory(name="Contoso Health", code="contoso")
    OrganisationFactory(name="Gone Ltd", code="gone", is_active=False)
    for name in ("Finance", "Sales", "Operations"):
        DepartmentFactory(organisation=northwind, name=name)
    for _ in range(4):
        make_user(Role.END_USER, organisation=northwind)
    make_user(Role.END_USER, organisation=northwind, is_active=False)

    rows = [(o.name, o.people_count, o.department_count) for o in organisations_with_people()]

    assert rows == [("Contoso Health", 0, 0), ("Northwind Trading", 4, 3)]
    assert contoso.departments.count() == 0


def test_department_names_are_unique_within_an_organisation():
    finance = DepartmentFactory(name="Finance")
    DepartmentFactory(name="Finance")  # another organisation's: fine

    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentFactory(organisation=finance.organisation, name="Finance")


def test_a_person_s_department_must_belong_to_their_organisation(make_user):
    user = make_user(Role.END_USER)
    elsewhere = DepartmentFactory()

    user.department = elsewhere
    with pytest.raises(ValidationError) as error:
        user.full_clean(exclude=["password"])

    assert "department" in error.value.message_dict


# --- Pages that show them ------------------------------------------------------------------------


def test_workspace_shows_the_person_s_teams_with_lead_and_members(client, network):
    client.force_login(network.lead)

    response = client.get("/workspace/")

    html = response.content.decode()
    assert html.count('data-test="team"') == 1
    assert "<h3>Network</h3>" in html
    assert "Nina Novak" in html
    assert "Carla Rossi" in html
    assert "2 members" in html
    assert "mailto:network@example.com" in html
    assert '<span class="badge badge-accent">you</span>' in html


def test_workspace_without_a_team_says_how_to_join_one(client, agent):
    client.force_login(agent)

    html = client.get("/workspace/").content.decode()

    assert 'data-test="team"' not in html
    assert "You are not in a support group yet." in html


def test_dashboards_show_the_overview(client, manager, network):
    client.force_login(manager)

    response = client.get("/dashboards/teams/")

    assert [g.name for g in response.context["groups"]] == ["Network"]
    html = response.content.decode()
    assert '<tr><td>Network</td><td>Nina Novak</td><td class="num">2</td></tr>' in html
    assert '<tr><td>Service desk manager</td><td class="num">1</td></tr>' in html
