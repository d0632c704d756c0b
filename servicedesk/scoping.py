"""Scoped visibility: which organisations' records a person sees (settings.SCOPED_VISIBILITY).

Off (the default), staff see every record and everyone else the records they asked for. On,
as a managed-service desk that works for several customers needs it:
- an agent sees the records of the organisations their support groups serve (a group that
  names none serves every organisation), and records of no organisation (the desk's own);
  people allowed to see every organisation (service desk managers, administrators) see all;
- an end user allowed to see their organisation's records (a team lead at the customer) sees
  those besides their own.

Each record type's `..._visible_to(user)` selector applies `staff_scope` or `requester_scope`;
so pages, the API, downloads, search and links hide what is out of scope the same way (404).
"""

from django.conf import settings
from django.db.models import Q

SEE_ALL = "accounts.view_all_organisations"
SEE_OWN_ORGANISATION = "accounts.view_organisation_records"


def staff_scope(user, *, organisation_field: str = "organisation") -> Q:
    """The records of the organisations an agent serves (Q() when every one)."""
    if not settings.SCOPED_VISIBILITY or user.is_superuser or user.has_perm(SEE_ALL):
        return Q()
    served = _served_organisations(user)
    if served is None:
        return Q()
    return Q(**{f"{organisation_field}__isnull": True}) | Q(**{f"{organisation_field}__in": served})


def requester_scope(user, *, requester_field: str = "requester",
                    organisation_field: str = "organisation") -> Q:  # fmt: skip
    """The records a requester sees: their own, and their organisation's when allowed."""
    own = Q(**{requester_field: user})
    if settings.SCOPED_VISIBILITY and user.organisation_id and user.has_perm(SEE_OWN_ORGANISATION):
        return own | Q(**{organisation_field: user.organisation_id})
    return own


def sees_organisation_records(user) -> bool:
    """Whether the portal offers this person their organisation's records besides their own."""
    return bool(
        settings.SCOPED_VISIBILITY
        and user.is_authenticated
        and user.organisation_id
        and user.has_perm(SEE_OWN_ORGANISATION)
    )


def _served_organisations(user) -> frozenset[int] | None:
    """The organisations the person's groups (member or lead) serve; None when one of them
    serves every organisation. Asked once per request (kept on the user object)."""
    if hasattr(user, "_served_organisations"):
        return user._served_organisations
    from accounts.models import SupportGroup

    groups = SupportGroup.objects.filter(Q(members=user) | Q(lead=user), is_active=True)
    rows = list(groups.values_list("pk", "organisations").distinct())
    served: frozenset[int] | None
    if any(organisation is None for _group, organisation in rows):
        served = None  # a group that names no organisation serves them all
    else:
        served = frozenset(organisation for _group, organisation in rows)
    user._served_organisations = served
    return served
