"""Reads of balanced assignment (who may take work now, their load), the agents' notifications
and the live state of a record or a queue."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from live.models import AssignmentRule, Availability, GroupAssignment, Notification, Skill
from servicedesk import registry

UNREAD_TTL = 300


# --- Balanced assignment -------------------------------------------------------------------------


def in_working_hours(availability: Availability | None, time_zone: str, now: datetime) -> bool:
    """Whether `now` falls in the agent's working days and hours, read in their time zone. No
    hours set: any time on a working day; an end before the start runs past midnight (the
    night belongs to the day it began)."""
    if availability is None:
        return True
    try:
        zone = zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    days = availability.work_days
    starts, ends = availability.starts_at, availability.ends_at
    if starts is None or ends is None:
        return not days or str(local.isoweekday()) in days
    moment = local.time().replace(tzinfo=None)
    if starts < ends:
        return (not days or str(local.isoweekday()) in days) and starts <= moment < ends
    if moment >= starts:  # the evening part of a night shift
        return not days or str(local.isoweekday()) in days
    if moment < ends:  # after midnight: the shift began yesterday
        yesterday = (local.isoweekday() - 2) % 7 + 1
        return not days or str(yesterday) in days
    return False


def members_available(group_id: int, *, now: datetime | None = None) -> list[Any]:
    """The group's active members (its lead included) who are present and in working hours,
    ordered by id (the round-robin order). One query."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    now = now or timezone.now()
    people = (
        get_user_model()
        .objects.filter(Q(support_groups=group_id) | Q(led_groups=group_id), is_active=True)
        .select_related("availability")
        .distinct()
        .order_by("pk")
    )
    chosen = []
    for person in people:
        row = getattr(person, "availability", None)
        if row is not None and not row.present:
            continue
        if in_working_hours(row, person.time_zone, now):
            chosen.append(person)
    return chosen


def skilled(people: list[Any], category_id: int | None) -> list[Any]:
    """Those of `people` with the category as a skill (one query); everyone when nobody has it
    or the record has no category."""
    if category_id is None or not people:
        return people
    ids = set(
        Skill.objects.filter(user__in=[p.pk for p in people], category_id=category_id).values_list(
            "user_id", flat=True
        )
    )
    return [p for p in people if p.pk in ids] or people


def open_load(user_ids: list[int]) -> Counter:
    """Open records assigned to each person, over every record type (one grouped query per
    type, on the assignee index)."""
    load: Counter = Counter()
    for record_type in registry.all_types():
        rows = (
            record_type.model_class._default_manager.filter(
                assignee_id__in=user_ids, status__in=record_type.open_statuses
            )
            .order_by()
            .values("assignee_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            load[row["assignee_id"]] += row["n"]
    return load


def _after(people: list[Any], last_id: int | None) -> list[Any]:
    """`people` (ordered by id) starting with the one after `last_id`, wrapping round."""
    if last_id is None:
        return people
    later = [p for p in people if p.pk > last_id]
    return later + [p for p in people if p.pk <= last_id]


def choose_assignee(
    setting: GroupAssignment, *, category_id: int | None = None, now: datetime | None = None
) -> Any | None:
    """Who gets the group's next record under its rule, or None when nobody is available."""
    if setting.rule == AssignmentRule.MANUAL:
        return None
    people = members_available(setting.support_group_id, now=now)
    if setting.by_skill:
        people = skilled(people, category_id)
    if not people:
        return None
    turn = _after(people, setting.last_assignee_id)
    if setting.rule == AssignmentRule.ROUND_ROBIN:
        return turn[0]
    load = open_load([p.pk for p in people])
    return min(turn, key=lambda p: load[p.pk])  # ties: whose turn it is


def availability_of(user) -> Availability:
    """The agent's availability row (unsaved defaults when they never set one)."""
    return Availability.objects.filter(user=user).first() or Availability(user=user)


# --- Notifications ----------------------------------------------------------------------------------


def _unread_key(user_id: int) -> str:
    return f"live:unread:{user_id}"


def unread_count(user) -> int:
    """Unread notifications: a cache read, else one count on the partial index."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def unread_forget(user_ids: list[int]) -> None:
    cache.delete_many([_unread_key(pk) for pk in set(user_ids)])


def notifications_for(user, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    """The person's latest notifications (one query: number and title are on the row)."""
    rows = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-created_at", "-id")[:limit])


def record_url(number: str) -> str | None:
    from django.urls import reverse

    record_type = registry.for_number(number)
    if record_type is None:
        return None
    return reverse(record_type.detail_url_name, args=[number])


# --- Live state -------------------------------------------------------------------------------------


def record_etag(user, number: str) -> str | None:
    """The ETag of a record page's state: its version (one query on the number's unique index,
    with the type's visibility rule) and its timeline's stamp (one cache read; a reply does not
    bump the version). None: no such record for this person."""
    from django.contrib.contenttypes.models import ContentType

    record_type = registry.for_number(number)
    if record_type is None or (
        record_type.view_permission and not user.has_perm(record_type.view_permission)
    ):
        return None
    rows = record_type.visible(user).filter(number=number).values_list("id", "version")
    row = next(iter(rows[:1]), None)
    if row is None:
        return None
    content_type = ContentType.objects.get_for_model(record_type.model_class)  # cached
    return _etag(row[1], content_type.pk, row[0])


def _etag(version: int, content_type_id: int, object_id: int) -> str:
    from live.services import record_stamp_key

    stamp = cache.get(record_stamp_key(content_type_id, object_id)) or "0"
    return f'"{version}-{stamp}"'


def record_changes(user, number: str, *, since: datetime) -> dict | None:
    """What changed on a record since `since` (its timeline's newer entries), for the banner."""
    from servicedesk.selectors import record_timeline

    record_type = registry.for_number(number)
    if record_type is None:
        return None
    record = record_type.visible(user).filter(number=number).first()
    if record is None:
        return None
    entries = [entry for entry in record_timeline(record=record, user=user) if entry.at > since]
    last = entries[-1] if entries else None
    return {"record": record, "entries": entries[-10:], "changed_by": last.actor if last else None}


def record_watch_context(request, *, record, **page) -> dict | None:
    """The record page's watcher: the number, the version it was rendered at and when."""
    if not request.user.is_authenticated or registry.for_model(type(record)) is None:
        return None
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(type(record))  # cached: no query
    return {
        "watch_number": record.number,
        "watch_etag": _etag(record.version, content_type.pk, record.pk),
        "watch_since": timezone.now().isoformat(),
    }


def queue_stamp(label: str, group_id: str = "") -> str:
    """The last-change stamp of a record type's queue (or of one group's): one cache read."""
    from live.services import stamp_key

    return cache.get(stamp_key(label, group_id or None)) or "0"


def group_rules_for(user) -> list[dict]:
    """The active groups whose rule the person may set, each with its rule (two queries)."""
    from accounts.models import SupportGroup

    active = SupportGroup.objects.filter(is_active=True).order_by("name")
    if not user.has_perm("accounts.add_supportgroup"):
        if not user.has_perm("accounts.change_supportgroup"):
            return []
        active = active.filter(lead=user)
    groups = list(active)
    settings = {
        row.support_group_id: row
        for row in GroupAssignment.objects.filter(support_group__in=groups)
    }
    return [
        {"group": group, "setting": settings.get(group.pk) or GroupAssignment(support_group=group)}
        for group in groups
    ]


def workspace_links_context(request) -> dict | None:
    """The workspace's links to the notifications, availability and (for leads) the rules."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("accounts.use_agent_workspace"):
        return None
    group_rules = user.has_perm("accounts.add_supportgroup") or user.has_perm(
        "accounts.change_supportgroup"
    )
    return {"group_rules": group_rules}
