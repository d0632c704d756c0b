"""The filters every panel shares: a period, a time bucket and the service, group, organisation."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, SupportGroup
from servicedesk import registry

PERIODS = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_week", _("This week")),
    ("last_week", _("Last week")),
    ("last_7", _("Last 7 days")),
    ("last_30", _("Last 30 days")),
    ("last_90", _("Last 90 days")),
    ("this_year", _("This year")),
    ("custom", _("From … to …")),
]
BUCKETS = [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))]
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Scope:
    """[start, end) in the current time zone, the trend bucket and the dimension filters."""

    start: datetime
    end: datetime
    by: str = "day"
    service_id: int | None = None
    support_group_id: int | None = None
    organisation_id: int | None = None
    period: str = "this_month"
    record_type: str = "incident"

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400

    def fact_q(self) -> Q:
        """The dimension filters on `RecordFact`."""
        q = Q(record_type=self.record_type)
        for name in ("service_id", "support_group_id", "organisation_id"):
            value = getattr(self, name)
            if value:
                q &= Q(**{name: value})
        return q

    def record_q(self, model) -> Q:
        """The same dimension filters on the record table itself (for the live panels)."""
        names = {f.name for f in model._meta.get_fields()}
        q = Q()
        for name, field in (
            ("service_id", "service"),
            ("support_group_id", "support_group"),
            ("organisation_id", "organisation"),
        ):
            value = getattr(self, name)
            if value:
                q &= Q(**{f"{field}_id": value}) if field in names else Q(pk__in=[])
        return q

    def query(self) -> dict[str, str]:
        """The query string that reproduces this scope (links, CSV, JSON endpoints)."""
        params = {"period": self.period, "by": self.by}
        if self.record_type != "incident":
            params["type"] = self.record_type
        if self.period == "custom":
            tz = timezone.get_current_timezone()
            params["start"] = timezone.localtime(self.start, tz).date().isoformat()
            params["end"] = (
                timezone.localtime(self.end, tz).date() - timedelta(days=1)
            ).isoformat()
        for key, name in (
            ("service", "service_id"),
            ("group", "support_group_id"),
            ("organisation", "organisation_id"),
        ):
            if getattr(self, name):
                params[key] = str(getattr(self, name))
        return params

    def querystring(self) -> str:
        return urlencode(self.query())

    def buckets(self) -> list[date]:
        """Every bucket start in the period (so empty days show as zero, not as gaps)."""
        tz = timezone.get_current_timezone()
        first = bucket_of(timezone.localtime(self.start, tz).date(), self.by)
        last = timezone.localtime(self.end - timedelta(microseconds=1), tz).date()
        out, day = [], first
        while day <= last:
            out.append(day)
            day = next_bucket(day, self.by)
        return out


def bucket_of(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, by: str) -> date:
    if by == "week":
        return day + timedelta(days=7)
    if by == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def period_bounds(period: str, today: date, start=None, end=None) -> tuple[date, date]:
    """[first day, day after the last) of a named period."""
    month_start = today.replace(day=1)
    if period == "last_month":
        previous = (month_start - timedelta(days=1)).replace(day=1)
        return previous, month_start
    if period == "this_week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=7)
    if period == "last_week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday
    if period in ("last_7", "last_30", "last_90"):
        days = int(period.split("_")[1])
        return today - timedelta(days=days - 1), today + timedelta(days=1)
    if period == "this_year":
        return today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
    if period == "custom":
        return start, end + timedelta(days=1)
    days_in_month = pycalendar.monthrange(today.year, today.month)[1]
    return month_start, month_start + timedelta(days=days_in_month)


def default_bucket(first: date, after: date) -> str:
    days = (after - first).days
    return "day" if days <= 45 else "week" if days <= 190 else "month"


def scope_for(
    period: str,
    *,
    today: date | None = None,
    start=None,
    end=None,
    by=None,
    service_id=None,
    support_group_id=None,
    organisation_id=None,
    record_type: str = "incident",
) -> Scope:
    today = today or timezone.localdate()
    first, after = period_bounds(period, today, start, end)
    return Scope(
        start=_midnight(first),
        end=_midnight(after),
        by=by or default_bucket(first, after),
        service_id=service_id,
        support_group_id=support_group_id,
        organisation_id=organisation_id,
        period=period,
        record_type=record_type,
    )


def record_type_choices():
    from dashboards.facts import sources

    return [(key, src.label) for key, src in sources().items()]


class ScopeForm(forms.Form):
    type = forms.ChoiceField(label=_("Records"), choices=record_type_choices, required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(label=_("By"), choices=[("", _("Automatic")), *BUCKETS], required=False)
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=registry.shared_model("service").objects.order_by("name"),
        required=False,
        empty_label=_("All services"),
    )
    group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.order_by("name"),
        required=False,
        empty_label=_("All groups"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=_("All organisations"),
    )

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                self.add_error("start", _("Give both dates of the period."))
            elif end < start:
                self.add_error("end", _("The period ends before it starts."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("Choose a period of at most three years."))
        return data

    def scope(self, today: date | None = None) -> Scope:
        """The scope of valid input (call is_valid() first); the default scope otherwise."""
        data = self.cleaned_data if self.is_valid() else {}
        return scope_for(
            data.get("period") or "this_month",
            today=today,
            start=data.get("start"),
            end=data.get("end"),
            by=data.get("by") or None,
            service_id=data["service"].pk if data.get("service") else None,
            support_group_id=data["group"].pk if data.get("group") else None,
            organisation_id=data["organisation"].pk if data.get("organisation") else None,
            record_type=data.get("type") or "incident",
        )
