"""Reads on people and teams."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Organisation, SupportGroup, User
from accounts.roles import Role


def support_groups_of(user: User) -> QuerySet[SupportGroup]:
    """The active groups a person belongs to or leads, with lead and members loaded."""
    members = Prefetch("members", queryset=User.objects.only("id", "full_name", "email"))
    return (
        SupportGroup.objects.filter(Q(members=user) | Q(lead=user), is_active=True)
        .distinct()
        .select_related("lead")
        .prefetch_related(members)
        .order_by("name")
    )


def assignable_people(*, support_group_id: int | None = None) -> QuerySet[User]:
    """Who work of a support group may be assigned to: the group's active members and its lead,
    by name. Without a group, everyone who is in or leads some support group (the list before a
    group is chosen). An unknown group has nobody. The services check the same rule when an
    assignment is made."""
    people = User.objects.filter(is_active=True)
    if support_group_id is None:
        people = people.filter(Q(support_groups__isnull=False) | Q(led_groups__isnull=False))
    else:
        people = people.filter(
            Q(support_groups__pk=support_group_id) | Q(led_groups__pk=support_group_id)
        )
    return people.distinct().order_by("full_name", "pk")


def support_group_overview() -> QuerySet[SupportGroup]:
    """Every active group with its lead and member count (one query)."""
    return (
        SupportGroup.objects.filter(is_active=True)
        .select_related("lead")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name")
    )


def people_per_role() -> list[tuple[str, int]]:
    """(role label, number of active people holding it), in the roles' order."""
    counts = dict(
        User.objects.filter(is_active=True, groups__name__in=Role.values)
        .values_list("groups__name")
        .annotate(n=Count("id", distinct=True))
    )
    return [(str(role.label), counts.get(role.value, 0)) for role in Role]


def organisations_with_people() -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(is_active=True)
        .annotate(
            people_count=Count("people", filter=Q(people__is_active=True), distinct=True),
            department_count=Count("departments", distinct=True),
        )
        .order_by("name")
    )
