"""Validation of calendar definitions, shared by the admin and the API: the pure calendar
refuses what it cannot compute with, and its message is shown beside the fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sla.calendar import BusinessCalendar, CalendarError
from sla.models import Calendar


class CalendarAdminForm(forms.ModelForm):
    class Meta:
        model = Calendar
        fields = ["name", "time_zone", "always_open", "country"]

    def clean_country(self):
        return check_country(self.cleaned_data["country"])


class WorkingHoursFormSet(forms.BaseInlineFormSet):
    """The week as a whole: no overlaps, no inverted intervals, some working time."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        week: dict[int, list] = {}
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            week.setdefault(data["weekday"], []).append((data["start"], data["end"]))
        if self.instance.always_open:
            return
        check_week(week, time_zone=self.instance.time_zone or "UTC")


def check_week(week, *, time_zone: str) -> None:
    """Raise ValidationError with the calendar's own message when the week is unusable."""
    try:
        BusinessCalendar(time_zone=time_zone, week=week, holidays=frozenset())
    except CalendarError as error:
        raise ValidationError(str(error)) from error


def check_country(code: str) -> str:
    """The country code in capitals, or ValidationError when `holidays` has no such country."""
    country = (code or "").upper()
    if country:
        import holidays

        if country not in holidays.list_supported_countries():
            raise ValidationError(_("No public holiday calendar for “%(code)s”."),
                                  params={"code": country})  # fmt: skip
    return country
