"""The admin's calendar forms. They check with the service's own functions
(`sla.services.definitions`), so the admin shows beside the fields the message the service and
the API give: the pure calendar refuses what it cannot compute with."""

from django import forms

from sla.models import Calendar
from sla.services.definitions import check_country, check_week


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


__all__ = ["CalendarAdminForm", "WorkingHoursFormSet", "check_country", "check_week"]
