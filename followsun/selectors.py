"""Reads of follow-the-sun: which chain a record follows, which desk is open, what a desk hands
over, the handovers of a desk and day, and the queues' "handed over from" badges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from followsun.models import Chain, Desk, Handover, HandoverItem
from servicedesk import memo, registry
from servicedesk.registry import RecordType
from sla.calendar import BusinessCalendar
from sla.services import business_calendar


def desk_calendar(desk: Desk) -> BusinessCalendar:
    """The desk's working hours and holidays in its time zone (cached per calendar version)."""
    return business_calendar(desk.calendar)


def follows(chain: Chain, *, record_type: str, priority: int | None) -> bool:
    """Whether records of this type and priority follow the sun in the chain (a type without a
    priority follows whatever the chain's priorities)."""
    if record_type not in chain.record_types:
        return False
    return not chain.priorities or priority is None or priority in chain.priorities


def _active_chains() -> dict[str, Any]:
    """Each desk group's chain (its first desk's, in the desks' order) and the chains that take
    unrouted work, in id order: what `chain_of` needs, kept per process (servicedesk.memo,
    retired by any save or delete of a chain or a desk)."""
    chains = list(Chain.objects.filter(is_active=True).order_by("id"))
    by_id = {chain.pk: chain for chain in chains}
    by_group: dict[int, Chain] = {}
    desks = Desk.objects.filter(chain__is_active=True).order_by("chain", "position")
    for group, chain in desks.values_list("support_group_id", "chain_id"):
        if chain in by_id:
            by_group.setdefault(group, by_id[chain])
    return {"by_group": by_group, "unrouted": [c for c in chains if c.takes_unrouted]}


def chain_of(record, *, record_type: str) -> Chain | None:
    """The active chain a new record follows: its group's, or (without a group) the first chain
    that takes unrouted work of its type; None when it stays with its owner."""
    chains = memo.reference("followsun:active-chains", _active_chains)
    if record.support_group_id:
        chain = chains["by_group"].get(record.support_group_id)
    else:
        chain = next((c for c in chains["unrouted"] if record_type in c.record_types), None)
    if chain is None:
        return None
    if not follows(chain, record_type=record_type, priority=getattr(record, "priority", None)):
        return None
    return chain


def may_follow(record, *, record_type: str) -> bool:
    """Whether a new record can follow the sun at all: most records are in no chain's group,
    and then the routing after the commit (which reads the record again) is not needed."""
    return chain_of(record, record_type=record_type) is not None


def _desks(chain: Chain) -> list[Desk]:
    return list(chain.desks.select_related("support_group", "calendar").order_by("position"))


def desk_open_at(chain: Chain, at: datetime) -> Desk | None:
    """The first desk of the chain (in its order) open at `at`, else the one opening soonest."""
    desks = _desks(chain)
    if not desks:
        return None
    for desk in desks:
        if desk_calendar(desk).is_working(at):
            return desk
    return min(desks, key=lambda d: (desk_calendar(d).next_opening(at), d.position))


def next_desk(desk: Desk, at: datetime) -> Desk | None:
    """The desk of the same chain that opens first from `at` (one open already opens at `at`);
    a tie goes to the one following `desk` in the chain's order, round the end."""
    others = [d for d in _desks(desk.chain) if d.pk != desk.pk]
    if not others:
        return None
    count = len(others) + 1
    return min(
        others,
        key=lambda d: (
            desk_calendar(d).next_opening(at),
            (d.position - desk.position) % (count * 1000),
        ),
    )


def last_closing(desk: Desk, at: datetime) -> datetime | None:
    """When the desk's working time last ended before `at`; None while it is open."""
    calendar = desk_calendar(desk)
    if calendar.is_working(at):
        return None
    tick = timedelta(microseconds=1)
    return calendar.add(at, -tick) + tick


def desks_closed_at(at: datetime) -> list[Desk]:
    """The desks of active chains that are closed at `at`."""
    desks = Desk.objects.filter(chain__is_active=True).select_related(
        "chain", "calendar", "support_group"
    )
    return [desk for desk in desks.order_by("pk") if not desk_calendar(desk).is_working(at)]


def records_to_hand_over(desk: Desk) -> Iterator[tuple[RecordType, Any]]:
    """The desk's open and paused records of the types (and priorities) that follow the sun,
    oldest first, one query per record type."""
    chain = desk.chain
    for key in chain.record_types:
        try:
            record_type = registry.get(key)
        except KeyError:
            continue
        model = record_type.model_class
        unfinished = (*record_type.open_statuses, *record_type.paused_statuses)
        rows = model._default_manager.filter(
            support_group_id=desk.support_group_id, status__in=unfinished
        )
        if chain.priorities and any(f.name == "priority" for f in model._meta.concrete_fields):
            rows = rows.filter(priority__in=chain.priorities)
        for record in rows.select_related("assignee").order_by("pk"):
            yield record_type, record


# --- Reports ---------------------------------------------------------------------------------------


def desks_for_report() -> QuerySet[Desk]:
    return Desk.objects.select_related("chain", "support_group", "calendar").order_by(
        "chain__name", "position"
    )


def day_bounds(desk: Desk, day: date) -> tuple[datetime, datetime]:
    """The instants a local day of the desk's time zone begins and ends."""
    zone = ZoneInfo(desk.calendar.time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def handover_report(*, desk: Desk, day: date) -> list[Handover]:
    """The handovers of a desk whose day ended on `day` (the desk's local date), with their
    records: two queries."""
    start, end = day_bounds(desk, day)
    return list(
        Handover.objects.filter(desk=desk, closed_at__gte=start, closed_at__lt=end)
        .select_related("to_desk__support_group")
        .prefetch_related("items__content_type", "items__previous_assignee")
        .order_by("closed_at")
    )


def report_rows(handovers: list[Handover]) -> list[list[Any]]:
    """The CSV's rows: one per record handed over."""
    rows: list[list[Any]] = []
    for handover in handovers:
        for item in handover.items.all():
            rows.append([
                handover.desk.support_group.name,
                handover.closed_at.isoformat(),
                handover.to_desk.support_group.name if handover.to_desk else "",
                item.number, item.title, item.status,
                "" if item.priority is None else item.priority,
                item.previous_assignee.full_name if item.previous_assignee else "",
            ])  # fmt: skip
    return rows


# --- Queues ----------------------------------------------------------------------------------------


def handed_over_from(rows: list[Any]) -> dict[int, str]:
    """For a page of records of one type: the desk each came from by its latest handover, for
    those still with the desk it was handed to. One query."""
    if not rows:
        return {}
    content_type = ContentType.objects.get_for_model(type(rows[0]))
    items = (
        HandoverItem.objects.filter(content_type=content_type, object_id__in=[r.pk for r in rows])
        .order_by("object_id", "-id")
        .values_list(
            "object_id",
            "handover__desk__support_group__name",
            "handover__to_desk__support_group_id",
        )
    )
    latest: dict[int, tuple[str, int | None]] = {}
    for object_id, from_name, to_group in items:
        latest.setdefault(object_id, (from_name, to_group))
    return {
        row.pk: latest[row.pk][0]
        for row in rows
        if row.pk in latest and latest[row.pk][1] == row.support_group_id
    }


def queue_badges(*, rows: list[Any]) -> None:
    """The kernel's queue annotator: "Handed over from <desk>" on the rows that came by one."""
    came = handed_over_from(rows)
    for row in rows:
        if row.pk in came:
            row.queue_badges.append(
                ("badge-handover", _("Handed over from %(desk)s") % {"desk": came[row.pk]})
            )


def workspace_links_context(request) -> dict | None:
    """The workspace's link to the handover report, once there are desks (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("accounts.use_agent_workspace"):
        return None
    return {"has_desks": True} if Desk.objects.exists() else None
