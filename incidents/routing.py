"""Which support group owns a new incident when the person logging it does not choose one."""

import copy

from incidents.models import RoutingRule
from servicedesk import memo

CONDITIONS = ("category_id", "service_id", "configuration_item_id", "organisation_id")


def _active_rules() -> list[tuple[dict, object]]:
    """(conditions, support group) of each active rule of an active group, in order; kept in
    each process until a rule or a group changes (`servicedesk.memo`)."""
    rules = RoutingRule.objects.filter(is_active=True, support_group__is_active=True)
    return [
        ({key: getattr(rule, key) for key in CONDITIONS if getattr(rule, key)}, rule.support_group)
        for rule in rules.select_related("support_group")
    ]


def route_incident(
    *, category, service, configuration_item, organisation=None, organisation_id=None
):
    """The owning group for these facts, or None when nothing matches.

    1. the first active rule (by order) with conditions that all match;
    2. else the group supporting the configuration item, then the service;
    3. else the first catch-all rule (a rule with no conditions).
    """
    facts = {
        "category_id": category.pk if category else None,
        "service_id": service.pk if service else None,
        "configuration_item_id": configuration_item.pk if configuration_item else None,
        "organisation_id": organisation.pk if organisation else organisation_id,
    }
    catch_all = None
    for conditions, group in memo.reference("incidents:routing-rules", _active_rules):
        if not conditions:
            catch_all = catch_all or group
        elif all(facts[key] == value for key, value in conditions.items()):
            return copy.copy(group)  # the record may hold it; the cached one stays as it is
    for owner in (configuration_item, service):
        if owner is not None and owner.support_group_id and owner.support_group.is_active:
            return owner.support_group
    return copy.copy(catch_all)
