"""Every write of balanced assignment, availability and the agents' notifications."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from datetime import time as clock_time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from live import selectors
from live.models import AssignmentRule, Availability, GroupAssignment, Notification
from live.models import NotificationKind as Kind
from servicedesk import announce as events
from servicedesk import memo
from servicedesk import services as kernel
from servicedesk.actors import actor_required, system_actor
from servicedesk.bulk import insert_rows

log = logging.getLogger(__name__)


# --- Balanced assignment -------------------------------------------------------------------------


@transaction.atomic
def assign_new_record(*, model: Any, record_id: int, now=None) -> Any | None:
    """Give a new record waiting in its group to a present member in working hours, by the
    group's rule, through `kernel.record_assign` as the system actor (audited). Returns the
    person, or None (manual group, nobody present, already assigned).

    The group's rule row is locked (SELECT ... FOR UPDATE) while the person is chosen and the
    record assigned, so records arriving at once are handed out in turn and least-loaded counts
    see the previous assignment."""
    fields = ["id", "support_group_id", "assignee_id"]
    has_category = any(f.attname == "category_id" for f in model._meta.concrete_fields)
    record = model._default_manager.only(*fields, *(["category_id"] * has_category)).get(
        pk=record_id
    )
    if record.support_group_id is None or record.assignee_id is not None:
        return None
    setting = (
        GroupAssignment.objects.select_for_update()
        .filter(support_group_id=record.support_group_id)
        .exclude(rule=AssignmentRule.MANUAL)
        .first()
    )
    if setting is None:
        return None
    category_id = record.category_id if has_category else None
    person = selectors.choose_assignee(setting, category_id=category_id, now=now)
    if person is None:
        return None  # nobody present: it stays with the group
    kernel.record_assign(
        model=model, record_id=record_id, actor=system_actor(),
        support_group=setting.support_group, assignee=person,
    )  # fmt: skip
    setting.last_assignee = person
    setting.save(update_fields=["last_assignee"])
    return person


def assigns_automatically(group_id: int) -> bool:
    """Whether the group hands its new records out by a rule (not manual), from the groups
    kept in each process (`servicedesk.memo`): a manual group's create asks nothing more."""
    return group_id in memo.reference("live:automatic-groups", _automatic_groups)


def _automatic_groups() -> frozenset[int]:
    return frozenset(
        GroupAssignment.objects.exclude(rule=AssignmentRule.MANUAL).values_list(
            "support_group_id", flat=True
        )
    )


def group_rule_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """post_save/post_delete of a group's rule: retire the copies, but not for the turn kept
    after each assignment (`last_assignee` alone)."""
    if update_fields is None or "rule" in update_fields:
        memo.forget()


def assign_new_record_safely(model: Any, record_id: int) -> None:
    """After the record's commit: a refusal leaves it with its group, never fails the create."""
    try:
        assign_new_record(model=model, record_id=record_id)
    except Exception:  # the record is saved; its group still sees it
        log.exception("balanced assignment of %s %s failed", model._meta.label, record_id)


# --- Availability ----------------------------------------------------------------------------------


def _own_row(actor) -> Availability:
    row, _created = Availability.objects.select_for_update().get_or_create(user=actor)
    return row


@transaction.atomic
def availability_toggle(*, actor) -> Availability:
    """Present becomes away and away present (the workspace header's switch)."""
    actor_required(actor)
    row = _own_row(actor)
    row.present = not row.present
    row.save(update_fields=["present", "updated_at"])
    return row


@transaction.atomic
def availability_set(
    *,
    actor,
    present: bool,
    work_days: str,
    starts_at: clock_time | None,
    ends_at: clock_time | None,
    skills: Iterable[Any] | None = None,
) -> Availability:
    """An agent's own presence, working hours (in their time zone) and skills."""
    actor_required(actor)
    days = "".join(sorted(set(work_days)))
    if any(day not in "1234567" for day in days):
        raise ValidationError({"work_days": [_("Working days are 1 (Monday) to 7 (Sunday).")]})
    if (starts_at is None) != (ends_at is None):
        raise ValidationError({"ends_at": [_("Give both the start and the end, or neither.")]})
    if starts_at is not None and starts_at == ends_at:
        raise ValidationError({"ends_at": [_("The day cannot end when it starts.")]})
    row = _own_row(actor)
    row.present, row.work_days, row.starts_at, row.ends_at = present, days, starts_at, ends_at
    row.save()
    if skills is not None:
        from live.models import Skill

        chosen = {category.pk for category in skills}
        Skill.objects.filter(user=actor).exclude(category_id__in=chosen).delete()
        have = set(Skill.objects.filter(user=actor).values_list("category_id", flat=True))
        Skill.objects.bulk_create(
            [Skill(user=actor, category_id=pk) for pk in sorted(chosen - have)]
        )
    return row


# --- Change stamps (the queues' cheap "did anything change") ---------------------------------------


def stamp_key(label: str, group_id: Any = None) -> str:
    return f"live:stamp:{label}" + (f":{group_id}" if group_id else "")


STAMP_TTL = 7 * 24 * 3600  # a stamp lost to expiry is "0": the next change makes a new one


def stamps_bump(label: str, group_ids: Iterable[Any] = (), *, record_key: str = "") -> None:
    """A new stamp for a record type's queue and its groups' (after the commit)."""
    stamp = str(time.time_ns())
    keys = [stamp_key(label), *(stamp_key(label, pk) for pk in group_ids if pk)]
    if record_key:
        keys.append(record_key)
    cache.set_many(dict.fromkeys(keys, stamp), timeout=STAMP_TTL)


def record_stamp_key(content_type_id: int, object_id: Any) -> str:
    return f"live:record:{content_type_id}:{object_id}"


def stamp_record(model: Any, record: Any) -> None:
    """A record was saved: its page, its type's and its group's queues change once the commit
    lands."""
    label, group_id = model._meta.label_lower, record.support_group_id
    key = record_stamp_key(ContentType.objects.get_for_model(model).pk, record.pk)
    transaction.on_commit(lambda: stamps_bump(label, [group_id], record_key=key))


def stamp_timeline(row: Any) -> None:
    """A row joined a record's timeline (an audit event, a reply or note, a file), which does
    not always bump the record's version: its page changes once the commit lands."""
    key = record_stamp_key(row.content_type_id, row.object_id)
    transaction.on_commit(lambda: cache.set(key, str(time.time_ns()), timeout=STAMP_TTL))


# --- Notifications ----------------------------------------------------------------------------------


def _row(record, kind: str, recipient_id: int, actor) -> dict:
    """A notification's row as a plain dict (`insert_rows`): a sweep's batch writes hundreds."""
    return {
        "recipient_id": recipient_id, "kind": kind,
        "content_type_id": ContentType.objects.get_for_model(record).pk, "object_id": record.pk,
        "number": record.number, "title": str(record.title)[:200],
        "actor_id": actor.pk if getattr(actor, "pk", None) else None,
    }  # fmt: skip


def notify_for_event(*, record, kind: str, actor, detail: dict) -> None:
    """The notifications a record event brings, written in its transaction with one INSERT
    (approvals: one read of the approvers by e-mail). Nobody hears of what they did themselves."""
    _write(_rows_for_event(record=record, kind=kind, actor=actor, detail=detail))


def notify_for_events(events: list[dict]) -> None:
    """The notifications of several events (a sweep's batch of warnings and breaches) in one
    INSERT, one per person and record: a clock that breaches and passes three warning rules in
    one sweep rings the assignee's bell once, as a breach (the timeline keeps every step)."""
    chosen: dict[tuple, dict] = {}
    for event in events:
        for row in _rows_for_event(**event):
            key = (row["recipient_id"], row["content_type_id"], row["object_id"])
            if key not in chosen or row["kind"] == Kind.SLA_BREACH:
                chosen[key] = row
    _write(list(chosen.values()))


def _write(rows: list[dict]) -> None:
    if rows:
        insert_rows(Notification, rows)
        recipients = [row["recipient_id"] for row in rows]
        transaction.on_commit(lambda: selectors.unread_forget(recipients))


def _rows_for_event(*, record, kind: str, actor, detail: dict) -> list[dict]:
    actor_id = getattr(actor, "pk", None)
    rows: list[dict] = []
    assignee_id = record.assignee_id
    if kind == events.ASSIGNED and detail.get("field") == "assignee" and detail.get("new"):
        if detail["new"] != actor_id:
            rows.append(_row(record, Kind.ASSIGNED, detail["new"], actor))
    elif kind == events.CREATED and assignee_id and assignee_id != actor_id:
        rows.append(_row(record, Kind.ASSIGNED, assignee_id, actor))  # logged for someone
    elif kind == events.COMMENTED and detail.get("visibility") == "internal":
        rows += [_row(record, Kind.MENTION, pk, actor) for pk in _mentioned(detail, actor_id)]
    elif kind == events.COMMENTED and assignee_id and actor_id and actor_id != assignee_id:
        if actor_id == record.requester_id and detail.get("visibility") == "public":
            rows.append(_row(record, Kind.REQUESTER_REPLY, assignee_id, actor))
    elif kind in (events.SLA_WARNING, events.SLA_BREACH) and assignee_id:
        which = Kind.SLA_WARNING if kind == events.SLA_WARNING else Kind.SLA_BREACH
        rows.append(_row(record, which, assignee_id, actor))
    elif kind == events.APPROVAL_NEEDED and detail.get("approvers"):
        people = get_user_model().objects.filter(email__in=detail["approvers"])
        rows += [
            _row(record, Kind.APPROVAL, pk, actor)
            for pk in people.values_list("pk", flat=True)
            if pk != actor_id
        ]
    return rows


MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._+-]{2,64})")
MAX_MENTIONS = 10


def _mentioned(detail: dict, actor_id: int | None) -> list[int]:
    """The agents a work note names as @name (their e-mail address before the @): one read of
    the note's text and, when it names anyone, one of the people."""
    from servicedesk.models import Comment

    comment_id = detail.get("comment_id")
    if not comment_id:
        return []
    body = Comment.objects.filter(pk=comment_id).values_list("body", flat=True)
    text = next(iter(body), "") or ""
    names = {name.rstrip(".").lower() for name in MENTION.findall(text)}
    names = set(sorted(names)[:MAX_MENTIONS])
    if not names:
        return []
    wanted = Q()
    for name in names:
        wanted |= Q(email__istartswith=f"{name}@")
    people = get_user_model().objects.filter(wanted, is_active=True, support_groups__isnull=False)
    if actor_id is not None:
        people = people.exclude(pk=actor_id)
    found = people.distinct().values_list("pk", "email")
    return [pk for pk, email in found if email.split("@")[0].lower() in names]


@transaction.atomic
def notifications_mark_read(*, actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read: these, or all. Someone else's are untouched."""
    actor_required(actor)
    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    count = rows.update(read_at=timezone.now())
    transaction.on_commit(lambda: selectors.unread_forget([actor.pk]))
    return count


# --- Group rules ------------------------------------------------------------------------------------


def may_set_group_rule(actor, group) -> bool:
    """Administrators set any group's rule; a group lead (who may change groups) their own."""
    if actor.has_perm("accounts.add_supportgroup"):
        return True
    return actor.has_perm("accounts.change_supportgroup") and group.lead_id == actor.pk


@transaction.atomic
def group_assignment_set(*, actor, group, rule: str, by_skill: bool) -> GroupAssignment:
    """How a support group's new records are handed out (manual, round robin, least loaded;
    optionally by skill). PermissionDenied for whoever may not set it; ValidationError naming
    `rule` for an unknown one."""
    from django.core.exceptions import PermissionDenied

    actor_required(actor)
    if not may_set_group_rule(actor, group):
        raise PermissionDenied(_("Only the group's lead or an administrator sets its rule."))
    if rule not in AssignmentRule.values:
        raise ValidationError({"rule": [_("Choose manual, round robin or least loaded.")]})
    setting, _created = GroupAssignment.objects.select_for_update().get_or_create(
        support_group=group
    )
    setting.rule, setting.by_skill = rule, by_skill
    setting.save(update_fields=["rule", "by_skill"])
    return setting
