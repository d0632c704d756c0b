"""Every write of follow-the-sun: chains and their desks, routing new work to the desk open now,
and the handover at the end of a desk's day."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from followsun import selectors
from followsun.models import Chain, Desk, Handover, HandoverItem
from live import services as live
from servicedesk import registry
from servicedesk import services as kernel
from servicedesk.actors import actor_required, system_actor
from servicedesk.models import Visibility

log = logging.getLogger(__name__)


# --- Chains ----------------------------------------------------------------------------------------


def chain_check(
    *,
    name: str,
    record_types: list[str],
    priorities: list[int],
    desks: list[tuple[Any, Any]],
    chain: Chain | None = None,
) -> None:
    """The whole input of a chain, keyed by field; raises ValidationError, writes nothing."""
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Give the chain a name.")]
    else:
        same_name = Chain.objects.filter(name=name.strip())
        if chain is not None:
            same_name = same_name.exclude(pk=chain.pk)
        if same_name.exists():
            errors["name"] = [_("Another chain has this name.")]
    known = {record_type.key for record_type in registry.all_types()}
    unknown = [key for key in record_types if key not in known]
    if not record_types:
        errors["record_types"] = [_("Choose at least one record type that follows the sun.")]
    elif unknown:
        errors["record_types"] = [
            _("Unknown record type: %(types)s.") % {"types": ", ".join(map(str, unknown))}
        ]
    if any(not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= 5 for p in priorities):
        errors["priorities"] = [_("Priorities are whole numbers from 1 to 5.")]
    try:
        desks_check(desks=desks, chain=chain)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def desks_check(*, desks: list[tuple[Any, Any]], chain: Chain | None = None) -> None:
    """At least two desks, each support group once and in no other chain; ValidationError on
    `desks` otherwise."""
    groups = [group.pk for group, _calendar in desks]
    if len(desks) < 2:
        raise ValidationError({"desks": [_("A chain needs at least two desks.")]})
    if len(set(groups)) != len(groups):
        raise ValidationError({"desks": [_("A support group can be only one desk of the chain.")]})
    taken = Desk.objects.filter(support_group_id__in=groups)
    if chain is not None and chain.pk is not None:
        taken = taken.exclude(chain=chain)
    names = sorted(desk.support_group.name for desk in taken.select_related("support_group"))
    if names:
        raise ValidationError(
            {"desks": [_("Already a desk of another chain: %(groups)s.")
                       % {"groups": ", ".join(names)}]}
        )  # fmt: skip


@transaction.atomic
def chain_create(
    *,
    actor,
    name: str,
    record_types: list[str],
    priorities: list[int] | None = None,
    takes_unrouted: bool = False,
    desks: list[tuple[Any, Any]],
) -> Chain:
    """A new chain with its desks in the order given ((support group, calendar) pairs).

    Raises ValidationError (nothing saved) as `chain_check`."""
    actor_required(actor)
    priorities = sorted(set(priorities or []))
    chain_check(name=name, record_types=record_types, priorities=priorities, desks=desks)
    chain = Chain.objects.create(
        name=name.strip(), record_types=list(record_types), priorities=priorities,
        takes_unrouted=takes_unrouted,
    )  # fmt: skip
    _put_desks(chain, desks)
    return chain


@transaction.atomic
def chain_update(
    *,
    chain_id: int,
    actor,
    version: int | None = None,
    name: str,
    record_types: list[str],
    priorities: list[int] | None = None,
    takes_unrouted: bool = False,
    is_active: bool = True,
    desks: list[tuple[Any, Any]],
) -> Chain:
    """Change a chain and its desks (the order given). Handovers already made stay. Raises
    StaleVersion (409) when `version` is older than the saved one, ValidationError as
    `chain_check`."""
    from servicedesk.exceptions import StaleVersion

    actor_required(actor)
    chain = Chain.objects.select_for_update().get(pk=chain_id)
    if version is not None and version != chain.version:
        raise StaleVersion()
    priorities = sorted(set(priorities or []))
    chain_check(
        name=name, record_types=record_types, priorities=priorities, desks=desks, chain=chain
    )
    chain.name, chain.record_types, chain.priorities = name.strip(), list(record_types), priorities
    chain.takes_unrouted, chain.is_active = takes_unrouted, is_active
    chain.version += 1
    chain.save()
    _put_desks(chain, desks)
    return chain


def _put_desks(chain: Chain, desks: list[tuple[Any, Any]]) -> None:
    """Keep the desks of groups still in the chain (their handovers with them), drop the others,
    and number them in the order given."""
    wanted = [group.pk for group, _calendar in desks]
    chain.desks.exclude(support_group_id__in=wanted).delete()
    existing = {desk.support_group_id: desk for desk in chain.desks.all()}
    for kept in existing.values():  # out of the way of the unique (chain, position)
        kept.position += 1000
        kept.save(update_fields=["position"])
    for position, (group, calendar) in enumerate(desks, start=1):
        desk = existing.get(group.pk)
        if desk is None:
            Desk.objects.create(
                chain=chain, position=position, support_group=group, calendar=calendar
            )
        else:
            desk.position, desk.calendar = position, calendar
            desk.save(update_fields=["position", "calendar"])


# --- New work --------------------------------------------------------------------------------------


@transaction.atomic
def route_new_record(*, model: Any, record_id: int, now: datetime | None = None) -> Desk | None:
    """A new record without an assignee, of a type (and priority) that follows the sun, in a
    desk's group (or without a group, for the chain that takes unrouted work) goes to the desk
    open now (or the next to open), through `kernel.record_assign` as the system actor; then
    live/'s balanced assignment picks the member of that desk. Returns the desk it went to, or
    None when the record stays where it is."""
    now = now or timezone.now()
    record = model._default_manager.get(pk=record_id)
    if record.assignee_id is not None:
        return None
    record_type = registry.for_model(model)
    if record_type is None:
        return None
    chain = selectors.chain_of(record, record_type=record_type.key)
    if chain is None:
        return None
    desk = selectors.desk_open_at(chain, now)
    if desk is None or desk.support_group_id == record.support_group_id:
        return None
    kernel.record_assign(
        model=model, record_id=record_id, actor=system_actor(), support_group=desk.support_group
    )
    live.assign_new_record_safely(model, record_id)
    return desk


def route_new_record_safely(model: Any, record_id: int) -> None:
    """After the record's commit: a failure leaves it where it was, never fails the create."""
    try:
        route_new_record(model=model, record_id=record_id)
    except Exception:  # the record is saved; its group still sees it
        log.exception("follow-the-sun routing of %s %s failed", model._meta.label, record_id)


# --- Handovers -------------------------------------------------------------------------------------


def handovers_due(*, now: datetime | None = None) -> list[Handover]:
    """The beat's step: every desk of an active chain closed now hands over the records of the
    day that just ended, once. Returns the handovers made by this run."""
    now = now or timezone.now()
    made = []
    for desk in selectors.desks_closed_at(now):
        closed_at = selectors.last_closing(desk, now)
        if closed_at is None or closed_at <= desk.created_at:
            continue
        try:
            handover = desk_handover(desk_id=desk.pk, closed_at=closed_at)
        except IntegrityError:  # another worker made it in the same instant
            continue
        if handover is not None:
            made.append(handover)
    return made


@transaction.atomic
def desk_handover(*, desk_id: int, closed_at: datetime) -> Handover | None:
    """Hand the open, unfinished records of a desk whose day ended at `closed_at` to the next
    desk of its chain that opens, as the system actor.

    Idempotent: the desk's row is locked (SELECT ... FOR UPDATE) and a handover already written
    for this closing makes it return None; the unique (desk, closed_at) backs that up (an
    IntegrityError for a second writer). Each record is reassigned with `kernel.record_assign`
    (the audit row, the OLA group segments, the type's hooks; the SLA timers with the customer
    are not touched), gets an internal work note through `kernel.record_comment`, and a
    `HandoverItem`; then live/'s balanced assignment may pick a member of the next desk. The
    handover's summary counts them by record type. A record that cannot be moved is logged and
    skipped (its own savepoint), and so is a failed member choice."""
    desks = Desk.objects.select_for_update(of=("self",)).select_related("chain", "support_group")
    desk = desks.get(pk=desk_id)
    if Handover.objects.filter(desk=desk, closed_at=closed_at).exists():
        return None
    to_desk = selectors.next_desk(desk, closed_at)
    handover = Handover.objects.create(desk=desk, closed_at=closed_at, to_desk=to_desk)
    if to_desk is None:
        handover.summary = _("No other desk opens: the records stay with %(desk)s.") % {
            "desk": desk
        }
        handover.save(update_fields=["summary"])
        return handover
    actor = system_actor()
    counts: dict[str, int] = {}
    moved: list[tuple[Any, int]] = []
    for record_type, record in selectors.records_to_hand_over(desk):
        try:
            with transaction.atomic():  # a record refused (a guard, a lock) skips only itself
                _hand_over(handover, record, actor=actor, to_desk=to_desk)
        except Exception:
            log.exception("handover of %s from %s failed", record.number, desk)
            continue
        label = str(record_type.label)
        counts[label] = counts.get(label, 0) + 1
        moved.append((type(record), record.pk))
    handover.records = len(moved)
    handover.summary = "; ".join(f"{label}: {count}" for label, count in sorted(counts.items()))
    handover.save(update_fields=["records", "summary"])
    for model, record_id in moved:
        live.assign_new_record_safely(model, record_id)
    return handover


def _hand_over(handover: Handover, record, *, actor, to_desk: Desk) -> None:
    desk = handover.desk
    model = type(record)
    note = _(
        "Handed over from %(from)s to %(to)s at the end of %(from)s's day "
        "(%(status)s, with %(person)s)."
    ) % {
        "from": desk, "to": to_desk, "status": record.get_status_display(),
        "person": record.assignee or _("nobody"),
    }  # fmt: skip
    HandoverItem.objects.create(
        handover=handover,
        content_type=ContentType.objects.get_for_model(model),
        object_id=record.pk, number=record.number, title=record.title[:255],
        status=record.status, priority=getattr(record, "priority", None),
        previous_assignee_id=record.assignee_id,
    )  # fmt: skip
    kernel.record_assign(
        model=model, record_id=record.pk, actor=actor, support_group=to_desk.support_group
    )
    kernel.record_comment(
        model=model, record_id=record.pk, actor=actor, body=note, visibility=Visibility.INTERNAL
    )
