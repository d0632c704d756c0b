"""Who must approve: the approval rules resolved to people, and the quorum that decides a set.

Pure reads: nothing here writes, so a record type can check its rule before it saves a record
(a request that cannot be approved is refused before it takes a number).
"""

from __future__ import annotations

from collections.abc import Sized
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from servicedesk.models import GROUP_RULES, ApprovalRule

if TYPE_CHECKING:
    from django.contrib.auth.models import Group

    from accounts.models import User


def _refuse(message: str) -> ValidationError:
    return ValidationError({"__all__": [message]})


def _manager(requester: User) -> User | None:
    """The person's own manager, or else their department's manager."""
    manager = requester.manager
    if manager is None and requester.department is not None:
        manager = requester.department.manager
    return manager


def approvers_for(
    *,
    rule: str,
    requester: User,
    service: Any = None,
    group: Group | None = None,
    quorum: int | None = None,
) -> list[User]:
    """The people who must approve under `rule` (empty for "no approval"), in primary-key order.

    `service` is the record's catalogue service (its owner approves under the service-owner
    rule); `group` the approver group of a group rule; `quorum` how many of the group decide
    under the quorum rule. Nobody approves their own record when someone else can. Raises
    ValidationError (on `__all__`) when the rule names an approver nobody can be.
    """
    people: list[User] = []
    if rule == ApprovalRule.NONE:
        return []
    if rule == ApprovalRule.MANAGER:
        manager = _manager(requester)
        if manager is None or not manager.is_active:
            raise _refuse(_("This item needs your manager's approval, but no manager is "
                            "recorded for you. Ask the service desk to add one."))  # fmt: skip
        people = [manager]
    elif rule == ApprovalRule.DEPARTMENT_MANAGER:
        department = requester.department
        manager = department.manager if department is not None else None
        if manager is None or not manager.is_active:
            raise _refuse(_("This needs the approval of your department's manager, but none is "
                            "recorded. Ask the service desk to add one."))  # fmt: skip
        people = [manager]
    elif rule == ApprovalRule.SERVICE_OWNER:
        owner = getattr(service, "owner", None)
        if owner is None or not owner.is_active:
            raise _refuse(_("This service has no owner to approve it."))
        people = [owner]
    elif rule in GROUP_RULES:
        members = group.user_set.filter(is_active=True).order_by("pk") if group else None
        people = list(members) if members is not None else []
        if not people:
            raise _refuse(_("The approver group has nobody in it."))
    else:
        raise _refuse(_("Unknown approval rule."))
    chosen = [person for person in people if person.pk != requester.pk] or people
    if rule == ApprovalRule.GROUP_QUORUM:
        needed = quorum_for(rule=rule, approvers=chosen, quorum=quorum)
        if needed > len(chosen):
            raise _refuse(
                _("%(needed)s approvals are needed, but the approver group has only %(count)s "
                  "people who can give one.") % {"needed": needed, "count": len(chosen)}
            )  # fmt: skip
    return chosen


def quorum_for(*, rule: str, approvers: Sized, quorum: int | None = None) -> int:
    """How many approvals decide a set: all of them under "all", `quorum` (at least 1) under
    "quorum", otherwise one."""
    if rule == ApprovalRule.GROUP_ALL:
        return max(len(approvers), 1)
    if rule == ApprovalRule.GROUP_QUORUM:
        return max(quorum or 1, 1)
    return 1


def rejection_decides(*, rule: str, quorum: int, approved: int, pending: int) -> bool:
    """Whether a rejection decides the set: always, except under the quorum rule, where it
    does once the approvals given and still possible (`approved + pending`) fall short."""
    if rule != ApprovalRule.GROUP_QUORUM:
        return True
    return approved + pending < quorum
