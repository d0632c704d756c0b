"""Writes on people and teams."""

from django.db import transaction

from accounts.models import SupportGroup, User


def user_update_preferences(*, user: User, actor: User, **changes) -> User:
    """Save profile fields a person may edit themselves (name, phone, language, time zone).

    Raises ValidationError on a bad value; nothing is saved then.
    """
    allowed = {"full_name", "phone", "job_title", "language", "time_zone"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    return user


@transaction.atomic
def support_group_set_lead(*, group: SupportGroup, lead: User | None, actor: User) -> SupportGroup:
    """Make `lead` the group's lead; a lead is always a member of the group too."""
    group.lead = lead
    group.save(update_fields=["lead"])
    if lead is not None:
        group.members.add(lead)
    return group
