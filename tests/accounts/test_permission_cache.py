"""Permissions come from a shared cache after the first request, and a change to someone's
groups, a group's permissions or their own permissions is seen by the very next request."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.roles import USE_WORKSPACE, Role


def fresh(user) -> User:
    """The person as the next request loads them (no per-object cache)."""
    return User.objects.get(pk=user.pk)


PERM = "auth.delete_group"  # no role has it


@pytest.fixture
def approve_perm():
    return Permission.objects.get(codename="delete_group", content_type__app_label="auth")


def test_the_second_request_asks_the_database_nothing(agent, django_assert_num_queries):
    assert fresh(agent).has_perm(USE_WORKSPACE)
    person = fresh(agent)
    with django_assert_num_queries(0):
        assert person.has_perm(USE_WORKSPACE)
        assert not person.has_perm(PERM)


def test_joining_a_group_is_seen_at_once(agent, approve_perm):
    assert not fresh(agent).has_perm(PERM)
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(approve_perm)

    agent.groups.add(auditors)

    assert fresh(agent).has_perm(PERM)
    agent.groups.remove(auditors)
    assert not fresh(agent).has_perm(PERM)


def test_a_group_losing_a_permission_takes_it_from_its_members(agent, approve_perm):
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(approve_perm)
    agent.groups.add(auditors)
    assert fresh(agent).has_perm(PERM)

    auditors.permissions.remove(approve_perm)

    assert not fresh(agent).has_perm(PERM)


def test_a_permission_of_ones_own_and_a_new_role_group(make_user, approve_perm):
    person = make_user(Role.END_USER)
    assert not fresh(person).has_perm(USE_WORKSPACE)

    person.user_permissions.add(approve_perm)
    assert fresh(person).has_perm(PERM)

    person.groups.add(Group.objects.get(name=Role.AGENT))
    assert fresh(person).has_perm(USE_WORKSPACE)


def test_an_inactive_person_has_no_permission_even_when_cached(agent):
    assert fresh(agent).has_perm(USE_WORKSPACE)
    User.objects.filter(pk=agent.pk).update(is_active=False)  # no signal: a bulk update
    assert not fresh(agent).has_perm(USE_WORKSPACE)
