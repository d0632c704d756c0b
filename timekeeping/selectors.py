"""Every read of time tracking: a record's totals, the entries one may list, the dashboards'
time per service, organisation, category, group and agent, and the chargeback report.

Who sees what: time is staff data. An end user sees none; an agent lists the time of the
records they may see (the record type's `visible_to`) and their own entries; a manager (the
dashboards' permission) every entry.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import USE_WORKSPACE, VIEW_DASHBOARDS
from catalogue.choices import RequestStatus
from catalogue.models import ChargingBasis, ServiceRequest
from servicedesk.models import BaseRecord
from timekeeping.models import HourlyRate, TimeEntry

CENT = Decimal("0.01")

# Offerings charged for every month they are in use, and those charged once, when delivered.
RECURRING_BASES = (
    ChargingBasis.ACCOUNT_MONTH,
    ChargingBasis.USER_MONTH,
    ChargingBasis.STORAGE_200MB,
)
ONCE_BASES = (ChargingBasis.ONE_OFF, ChargingBasis.VISIT)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(USE_WORKSPACE))


def record_totals(record: BaseRecord) -> dict:
    """Total and billable minutes on a record, and each agent's: one grouped, indexed query
    (the totals are the agents' sums)."""
    content_type = ContentType.objects.get_for_model(record)
    per_agent = [
        {
            "name": row["agent__full_name"] or row["agent__email"],
            "minutes": int(row["spent"] or 0),
            "billable": int(row["billed"] or 0),
        }
        for row in TimeEntry.objects.filter(content_type=content_type, object_id=record.pk)
        .values("agent_id", "agent__full_name", "agent__email")
        .annotate(spent=Sum("minutes"), billed=Sum("minutes", filter=Q(billable=True)))
        .order_by("-spent", "agent__full_name")
    ]
    return {
        "total": sum(row["minutes"] for row in per_agent),
        "billable": sum(row["billable"] for row in per_agent),
        "per_agent": per_agent,
    }


def entries_visible_to(user) -> QuerySet[TimeEntry]:
    """The entries a person may list: none for an end user; a manager's, all; an agent's, their
    own (a record's entries are listed through `record_entries`, once the record is visible)."""
    base = TimeEntry.objects.select_related("agent", "support_group", "content_type")
    if not is_staff(user):
        return base.none()
    if user.has_perm(VIEW_DASHBOARDS):
        return base
    return base.filter(agent=user)


def record_entries(record: BaseRecord) -> QuerySet[TimeEntry]:
    """A record's entries (the caller has checked that the record is visible)."""
    content_type = ContentType.objects.get_for_model(record)
    return TimeEntry.objects.select_related("agent", "support_group", "content_type").filter(
        content_type=content_type, object_id=record.pk
    )


# The dashboards' breakdowns: (key, the grouped column, its label's column).
DIMENSIONS = {
    "service": ("service_id", "service__name"),
    "organisation": ("organisation_id", "organisation__name"),
    "category": ("category", "category"),
    "support_group": ("support_group_id", "support_group__name"),
    "agent": ("agent_id", "agent__full_name"),
}


def time_by(dimension: str, *, start: datetime.date, end: datetime.date) -> list[dict]:
    """Minutes logged between `start` and `end` (both included), by one dimension: rows of
    label, minutes, billable minutes and entries, the most time first. One grouped query over
    the date index."""
    key, label = DIMENSIONS[dimension]
    rows = (
        TimeEntry.objects.filter(worked_on__gte=start, worked_on__lte=end)
        .values(key, label)
        .annotate(
            spent=Sum("minutes"),
            billed=Sum("minutes", filter=Q(billable=True)),
            entries=Count("id"),
        )
        .order_by("-spent", label)
    )
    return [
        {
            "label": row[label] or _("None"),
            "minutes": int(row["spent"] or 0),
            "billable": int(row["billed"] or 0),
            "entries": row["entries"],
        }
        for row in rows
    ]


def record_minutes_for(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Total and billable minutes of many records at once ({(content type, id): (total,
    billable)}), for exports: one grouped query."""
    if not pairs:
        return {}
    type_ids = {type_id for type_id, _id in pairs}
    ids = {object_id for _type, object_id in pairs}
    rows = (
        TimeEntry.objects.filter(content_type_id__in=type_ids, object_id__in=ids)
        .values("content_type_id", "object_id")
        .annotate(total=Sum("minutes"), billed=Sum("minutes", filter=Q(billable=True)))
    )
    return {
        (row["content_type_id"], row["object_id"]): (
            int(row["total"] or 0),
            int(row["billed"] or 0),
        )
        for row in rows
    }


# The chargeback report.


@dataclass
class ChargeLine:
    kind: str  # "order" or "time"
    description: str
    basis: str
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    number: str = ""
    note: str = ""
    minutes: int = 0


@dataclass
class Chargeback:
    organisation: object
    month: datetime.date  # its first day
    orders: list[ChargeLine] = field(default_factory=list)
    time: list[ChargeLine] = field(default_factory=list)

    @property
    def orders_total(self) -> Decimal:
        return sum((line.amount for line in self.orders), Decimal("0.00"))

    @property
    def time_total(self) -> Decimal:
        return sum((line.amount for line in self.time), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.orders_total + self.time_total

    @property
    def billable_minutes(self) -> int:
        return sum(line.minutes for line in self.time)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of the month and of the next one, in the desk's time zone."""
    tz = timezone.get_default_timezone()
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=tz)
    return start, end


def _rate_for(organisation, group, rates: dict) -> Decimal | None:
    org_rate = rates.get(("organisation", organisation.pk))
    if org_rate is not None:
        return org_rate
    return rates.get(("group", group)) if group is not None else None


def chargeback(*, organisation, month: datetime.date) -> Chargeback:
    """What `organisation` is charged for `month`:

    - **orders**: its service requests for an offering with a price, delivered (closed as
      fulfilled, not rejected or cancelled). An offering charged per account, per user or per
      200 MB each month (`RECURRING_BASES`) is charged its full price for every month from the
      month it was delivered in, that month counting in full whatever the day (no proration),
      and every month after; one-off and per-visit offerings (`ONCE_BASES`) are charged once,
      in the month they were delivered. A request is one unit (one account, one visit) unless
      its form has a `quantity` answer (`request_units`).
    - **time**: its records' billable time worked that month (by the date worked), per support
      group, at the organisation's hourly rate, else the group's; time without a rate is
      listed at no charge. Time that is not billable is left out.

    Months are the desk's time zone (settings.TIME_ZONE); amounts are rounded to the cent per
    line.
    """
    report = Chargeback(organisation=organisation, month=month.replace(day=1))
    start, end = month_bounds(month)
    delivered = (
        ServiceRequest.objects.filter(
            organisation=organisation,
            status=RequestStatus.CLOSED,
            closed_at__isnull=False,
            offering__isnull=False,
            offering__price__gt=0,
        )
        .filter(
            Q(offering__charging_basis__in=RECURRING_BASES, closed_at__lt=end)
            | Q(
                offering__charging_basis__in=ONCE_BASES,
                closed_at__gte=start,
                closed_at__lt=end,
            )
        )
        .select_related("offering__service")
        .order_by("offering__service__name", "offering__name", "closed_at", "id")
    )
    for request in delivered:
        offering = request.offering
        if offering is None:  # filtered out above; for the type checker
            continue
        units = request_units(request)
        report.orders.append(
            ChargeLine(
                kind="order",
                number=request.number,
                description=f"{offering.service.name}: {offering.name}",
                basis=str(offering.get_charging_basis_display()),
                quantity=Decimal(units),
                unit_price=offering.price,
                amount=(Decimal(offering.price) * units).quantize(CENT, ROUND_HALF_UP),
                note=_("delivered %(date)s")
                % {"date": timezone.localtime(request.closed_at).date().isoformat()},
            )
        )
    first, last = start.date(), (end - datetime.timedelta(days=1)).date()
    billable = (
        TimeEntry.objects.filter(
            organisation=organisation, billable=True, worked_on__gte=first, worked_on__lte=last
        )
        .values("support_group_id", "support_group__name")
        .annotate(spent=Sum("minutes"))
        .order_by("support_group__name")
    )
    rates: dict = {}
    for found in HourlyRate.objects.filter(
        Q(organisation=organisation) | Q(support_group__isnull=False)
    ):
        if found.organisation_id:
            rates[("organisation", found.organisation_id)] = found.rate
        else:
            rates[("group", found.support_group_id)] = found.rate
    for row in billable:
        minutes = int(row["spent"] or 0)
        rate = _rate_for(organisation, row["support_group_id"], rates)
        hours = (Decimal(minutes) / 60).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        amount = (Decimal(minutes) * (rate or 0) / 60).quantize(CENT, ROUND_HALF_UP)
        report.time.append(
            ChargeLine(
                kind="time",
                description=row["support_group__name"] or _("No group"),
                basis=_("Per hour"),
                quantity=hours,
                unit_price=rate,
                amount=amount,
                note="" if rate is not None else _("no hourly rate set"),
                minutes=minutes,
            )
        )
    return report


def request_units(request) -> int:
    """How many units a request ordered: its form's `quantity` answer (a whole number, 1 to
    10,000), else 1."""
    answer = (request.answers or {}).get("quantity") or {}
    value = answer.get("value") if isinstance(answer, dict) else None
    try:
        units = int(str(value))
    except (TypeError, ValueError):
        return 1
    return units if 1 <= units <= 10_000 else 1


def parse_month(text: str) -> datetime.date | None:
    """ "2026-03" as the first of March 2026; None when it is not a month."""
    year, _dash, month = (text or "").strip().partition("-")
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and len(month) <= 2):
        return None
    try:
        return datetime.date(int(year), int(month), 1)
    except ValueError:
        return None
