"""Reading the administrator's rules and silences against an event, and finding its CI."""

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from events.choices import CiMatch
from events.maintenance import ci_in_maintenance
from events.models import Event, EventRule, Silence
from servicedesk.actors import actor_required


def _matches(matchers: dict, labels: dict) -> bool:
    for name, pattern in (matchers or {}).items():
        try:
            if not re.fullmatch(str(pattern), str(labels.get(name, ""))):
                return False
        except re.error:
            return False
    return True


def check_matchers(matchers) -> None:
    """A ValidationError naming the matcher whose pattern is not a regular expression."""
    if not isinstance(matchers, dict):
        raise ValidationError({"label_matchers": [_("An object of label names and patterns.")]})
    for name, pattern in matchers.items():
        try:
            re.compile(str(pattern))
        except re.error as error:
            raise ValidationError(
                {"label_matchers": [_("%(name)s: %(error)s") % {"name": name, "error": error}]}
            ) from None


def _all_labels(event: Event) -> dict[str, Any]:
    return {**event.labels, "host": event.host, "service": event.service_name,
            "severity": event.severity}  # fmt: skip


def active_rules() -> list[EventRule]:
    return list(EventRule.objects.filter(is_active=True).select_related("service", "support_group"))


def active_silences(at: datetime) -> list[Silence]:
    return list(Silence.objects.filter(starts_at__lte=at, ends_at__gt=at))


def rule_for(event: Event, rules: list[EventRule] | None = None) -> EventRule | None:
    """The first active rule, in order, whose conditions all hold for the event (`rules`: the
    active rules, read once for a batch of events)."""
    labels = _all_labels(event)
    for rule in active_rules() if rules is None else rules:
        if rule.source_id and rule.source_id != event.source_id:
            continue
        if rule.severities and event.severity not in rule.severities:
            continue
        if rule.host_pattern:
            try:
                if not re.fullmatch(rule.host_pattern, event.host or ""):
                    continue
            except re.error:
                continue
        if not _matches(rule.label_matchers, labels):
            continue
        return rule
    return None


def ci_for(event: Event, rule: EventRule | None) -> ConfigurationItem | None:
    """The CI the event is about: the host name (or the rule's label) against the CI's name or
    a CMDB attribute (the rule's, else EVENTS_CI_ATTRIBUTES: hostname, fqdn, ip_address)."""
    value = event.host
    if rule is not None and rule.ci_match == CiMatch.LABEL and rule.ci_label:
        value = str(event.labels.get(rule.ci_label, ""))
    if not value:
        return None
    codes = (
        [rule.ci_attribute]
        if rule is not None and rule.ci_attribute
        else list(settings.EVENTS_CI_ATTRIBUTES)
    )
    address = event.labels.get("address") or event.labels.get("host_ip")
    condition = Q(name=value)
    for code in codes:
        condition |= Q(**{f"attributes__{code}": value})
        if address:
            condition |= Q(**{f"attributes__{code}": address})
    items = ConfigurationItem.objects.filter(condition, is_active=True)
    return items.order_by("pk").first()


def _ci_lookup(event: Event, rule: EventRule | None) -> tuple[str, tuple[str, ...], Any]:
    """What `ci_for` looks the event's CI up by: (value, attribute codes, address)."""
    value = event.host
    if rule is not None and rule.ci_match == CiMatch.LABEL and rule.ci_label:
        value = str(event.labels.get(rule.ci_label, ""))
    codes = (
        (rule.ci_attribute,)
        if rule is not None and rule.ci_attribute
        else tuple(settings.EVENTS_CI_ATTRIBUTES)
    )
    address = event.labels.get("address") or event.labels.get("host_ip")
    return value, codes, address


def cis_for(pairs: list[tuple[Event, EventRule | None]]) -> list[ConfigurationItem | None]:
    """`ci_for` for several events at once (one query per set of attribute codes, usually
    one): the same answer for each, the lowest id among the active CIs that match."""
    lookups = [_ci_lookup(event, rule) for event, rule in pairs]
    found: dict[tuple[str, ...], list[ConfigurationItem]] = {}
    for codes in {codes for value, codes, _address in lookups if value}:
        values = {value for value, c, _address in lookups if value and c == codes}
        wanted = values | {a for value, c, a in lookups if value and c == codes and a}
        condition = Q(name__in=values)
        for code in codes:
            condition |= Q(**{f"attributes__{code}__in": list(wanted)})
        found[codes] = list(
            ConfigurationItem.objects.filter(condition, is_active=True).order_by("pk")
        )
    answers: list[ConfigurationItem | None] = []
    for value, codes, address in lookups:
        if not value:
            answers.append(None)
            continue
        keys = {value, address} if address else {value}
        answers.append(next((
            item for item in found[codes]
            if item.name == value or any(
                isinstance(item.attributes, dict) and item.attributes.get(code) in keys
                for code in codes
            )
        ), None))  # fmt: skip
    return answers


def silenced(
    event: Event, at: datetime, silences: list[Silence] | None = None,
    maintenance: set[int] | None = None,
) -> bool:  # fmt: skip
    """A silence covers the event (its CI, its labels, now) or its CI is in maintenance."""
    labels = _all_labels(event)
    for silence in active_silences(at) if silences is None else silences:
        if silence.configuration_item_id and silence.configuration_item_id != (
            event.configuration_item_id
        ):
            continue
        if not silence.configuration_item_id and not silence.label_matchers:
            continue
        if _matches(silence.label_matchers, labels):
            return True
    if maintenance is not None:  # the CIs in maintenance, read once for a batch
        return event.configuration_item_id in maintenance
    return ci_in_maintenance(ci=event.configuration_item, at=at)


@transaction.atomic
def silence_create(*, actor: Any, comment: str, starts_at: datetime, ends_at: datetime,
                   configuration_item=None, label_matchers=None) -> Silence:  # fmt: skip
    """A silence over a CI or label matchers (at least one) for a time window."""
    actor_required(actor)
    if not actor.has_perm("events.add_silence"):
        raise PermissionDenied(_("Only administrators add silences."))
    label_matchers = label_matchers or {}
    check_matchers(label_matchers)
    if configuration_item is None and not label_matchers:
        raise ValidationError({"configuration_item": [_("Silence a CI or label matchers.")]})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("A silence ends after it starts.")]})
    return Silence.objects.create(
        comment=comment, starts_at=starts_at, ends_at=ends_at, created_by=actor,
        configuration_item=configuration_item, label_matchers=label_matchers,
    )  # fmt: skip
