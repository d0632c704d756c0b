"""The eight roles: their groups and permissions, what each may open, and the navigation."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory

from accounts.roles import (
    ROLE_PERMISSIONS,
    Role,
    can_see_internal,
    home_url_name,
    sync_role_groups,
    user_roles,
)
from servicedesk.context_processors import navigation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOT_ALLOWED = "You may not open this page"

# role -> (may use the portal, the agent workspace, the dashboards)
ACCESS = {
    Role.END_USER: (True, False, False),
    Role.AGENT: (True, True, False),
    Role.GROUP_LEAD: (True, True, False),
    Role.PROBLEM_MANAGER: (True, True, False),
    Role.CHANGE_MANAGER: (True, True, False),
    Role.CAB_MEMBER: (True, True, False),
    Role.CONFIGURATION_MANAGER: (True, True, False),
    Role.KNOWLEDGE_MANAGER: (True, True, False),
    Role.DESK_MANAGER: (True, True, True),
    Role.ADMINISTRATOR: (True, True, True),
}


def permission_codes(group):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_migration_created_one_group_per_role():
    names = set(Group.objects.filter(name__in=Role.values).values_list("name", flat=True))

    assert names == {
        "end_user",
        "agent",
        "support_group_lead",
        "problem_manager",
        "change_manager",
        "cab_member",
        "configuration_manager",
        "knowledge_manager",
        "service_desk_manager",
        "administrator",
    }
    assert set(ACCESS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_group_has_exactly_its_permissions(role):
    group = Group.objects.get(name=role)

    assert permission_codes(group) == set(ROLE_PERMISSIONS[role])


def test_every_permission_named_for_a_role_exists():
    """sync_role_groups skips codes it cannot find; none may be misspelt."""
    named = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }

    assert named - existing == set()


@pytest.mark.parametrize("role", list(Role))
def test_what_each_role_may_use(make_user, role):
    user = make_user(role)

    access = (
        user.has_perm("accounts.use_portal"),
        user.has_perm("accounts.use_agent_workspace"),
        user.has_perm("accounts.view_dashboards"),
    )

    assert access == ACCESS[role]
    assert can_see_internal(user) is ACCESS[role][1]
    assert user_roles(user) == {role}


def test_syncing_the_roles_again_changes_nothing_and_repairs_drift():
    agent = Group.objects.get(name=Role.AGENT)
    agent.permissions.remove(Permission.objects.get(codename="use_agent_workspace"))
    agent.permissions.add(Permission.objects.get(codename="view_dashboards"))
    before = Group.objects.count()

    sync_role_groups()
    sync_role_groups()

    assert Group.objects.count() == before
    assert permission_codes(agent) == set(ROLE_PERMISSIONS[Role.AGENT])


def test_a_superuser_counts_as_an_administrator():
    user = UserFactory(is_superuser=True, is_staff=True)

    assert Role.ADMINISTRATOR in user_roles(user)
    assert home_url_name(user) == "admin:index"


def test_a_person_without_a_role_is_sent_to_the_portal(make_user):
    user = UserFactory()

    assert user_roles(user) == set()
    assert home_url_name(user) == "portal:home"


# --- What each may open ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/workspace/", "/dashboards/"])
def test_end_user_is_refused_the_staff_pages_with_our_page(client, end_user, path):
    client.force_login(end_user)

    response = client.get(path)

    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert NOT_ALLOWED in html
    assert 'href="/"' in html  # a way back to their own home page


def test_end_user_may_open_the_portal(client, end_user):
    client.force_login(end_user)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert "How can we help, Emma?" in response.content.decode()


def test_agent_may_open_the_workspace_but_not_the_dashboards(client, agent):
    client.force_login(agent)

    workspace = client.get("/workspace/")
    dashboards = client.get("/dashboards/")

    assert workspace.status_code == 200
    assert "Welcome back, Arash." in workspace.content.decode()
    assert dashboards.status_code == 403
    assert NOT_ALLOWED in dashboards.content.decode()


def test_manager_may_open_the_dashboards(client, manager):
    client.force_login(manager)

    response = client.get("/dashboards/")

    assert response.status_code == 200
    assert "Service levels" in response.content.decode()


def test_administrator_may_open_the_admin_site(client, make_user):
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/workspace/", "/dashboards/", "/portal/", "/accounts/profile/"],
)
def test_anonymous_visitor_is_sent_to_our_sign_in_page_with_next(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


# --- Navigation ------------------------------------------------------------------------------


def nav_keys(user):
    request = RequestFactory().get("/")
    request.user = user
    return [item["key"] for item in navigation(request)["nav_items"]]


STAFF_SECTIONS = {"workspace", "incidents", "dashboards", "admin", "api"}


@pytest.mark.parametrize(
    ("role", "staff", "shown", "hidden"),
    [
        (Role.END_USER, False, {"portal"}, STAFF_SECTIONS),
        (Role.AGENT, False, {"workspace", "portal", "api"}, {"dashboards", "admin"}),
        (Role.DESK_MANAGER, False, {"workspace", "portal", "dashboards"}, {"admin"}),
        (Role.ADMINISTRATOR, True, {"workspace", "portal", "dashboards", "admin"}, set()),
    ],
)
def test_navigation_shows_only_what_the_role_may_open(make_user, role, staff, shown, hidden):
    keys = nav_keys(make_user(role, is_staff=staff))

    assert shown <= set(keys)
    assert not hidden & set(keys)
    assert len(keys) == len(set(keys))


def test_navigation_is_empty_for_anonymous_visitors(client):
    response = client.get("/accounts/login/")

    assert response.context["nav_items"] == []
    assert 'class="mainnav"' not in response.content.decode()


def test_navigation_links_are_rendered_in_the_layout(client, manager):
    client.force_login(manager)

    html = client.get("/dashboards/").content.decode()

    assert 'href="/dashboards/" data-nav="dashboards" aria-current="page"' in html
    assert 'href="/workspace/" data-nav="workspace"' in html
    assert 'data-nav="admin"' not in html
