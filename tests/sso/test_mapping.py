"""What groups grant: mappings by source and case, managed roles and support groups, the
default role, and the database's own rules on mappings."""

import pytest
from django.db import IntegrityError, transaction

from accounts.roles import Role, user_roles
from sso.models import GroupMapping, Source
from sso.selectors import grants_for_groups
from sso.services import user_apply_grants
from tests.factories import SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_groups_match_mappings_of_their_source_and_of_any_source_whatever_the_case(desk_team):
    GroupMapping.objects.create(source=Source.OIDC, external_group="Desk-Agents", role=Role.AGENT)
    GroupMapping.objects.create(external_group="staff", role=Role.END_USER)
    GroupMapping.objects.create(
        source=Source.LDAP, external_group="desk-agents", support_group=desk_team
    )

    grants = grants_for_groups(source=Source.OIDC, groups=["desk-agents", "STAFF", "other"])

    assert grants.roles == {Role.AGENT, Role.END_USER}
    assert grants.support_group_ids == set()  # that mapping is the directory's
    assert grants.managed_roles == {Role.AGENT, Role.END_USER}


def test_applying_grants_keeps_unmanaged_roles_and_groups(desk_team):
    other_team = SupportGroupFactory(name="Network")
    GroupMapping.objects.create(external_group="agents", role=Role.AGENT, support_group=desk_team)
    person = UserFactory(role=Role.AGENT)
    person.groups.add(*[g for g in person.groups.model.objects.filter(name=Role.CAB_MEMBER)])
    desk_team.members.add(person)
    other_team.members.add(person)

    grants = grants_for_groups(source=Source.SAML, groups=[])
    user_apply_grants(user=person, grants=grants, actor=person)

    assert user_roles(person) == {Role.CAB_MEMBER}
    assert list(person.support_groups.all()) == [other_team]


def test_the_default_role_is_given_to_someone_left_with_no_role(settings):
    person = UserFactory()

    user_apply_grants(user=person, grants=grants_for_groups(source="", groups=[]), actor=person)

    assert user_roles(person) == {Role.END_USER}


def test_a_mapping_must_grant_something_and_exists_once(desk_team):
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMapping.objects.create(external_group="nothing")
    GroupMapping.objects.create(external_group="agents", role=Role.AGENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMapping.objects.create(external_group="AGENTS", role=Role.AGENT)
