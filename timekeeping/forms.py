from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from timekeeping import services
from timekeeping.models import MAX_MINUTES

MINUTES_ATTRS = {
    "inputmode": "numeric",
    "min": "0",
    "max": str(MAX_MINUTES),
    "data-timer-target": "",
}


def may_log_time(user, record) -> bool:
    """Staff who work this record type (the service checks it again)."""
    from servicedesk.registry import for_model

    record_type = for_model(type(record))
    permission = record_type.work_permission if record_type else None
    return bool(permission and user.is_authenticated and user.has_perm(permission))


class CommentTimeForm(forms.Form):
    """Time spent, typed in the reply or work-note box (the kernel's comment extras): saved
    with the comment, in its transaction; left empty, nothing is logged."""

    prefix = "time"
    minutes = forms.IntegerField(
        label=_("Time spent (minutes)"),
        required=False,
        min_value=0,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs=MINUTES_ATTRS),
    )
    billable = forms.BooleanField(label=_("Billable"), required=False)

    def __init__(self, data=None, *, record, user, **kwargs):
        super().__init__(data, **kwargs)
        self.record = record
        self.user = user

    def save(self, *, comment, record, actor) -> None:
        minutes = self.cleaned_data.get("minutes") or 0
        if not minutes:
            return
        services.time_entry_add(
            record=record,
            actor=actor,
            minutes=minutes,
            billable=bool(self.cleaned_data.get("billable")),
            comment=comment,
        )


class LogTimeForm(forms.Form):
    """The record page's "Log time" form, on its own."""

    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs=MINUTES_ATTRS),
    )
    billable = forms.BooleanField(label=_("Billable"), required=False)
    worked_on = forms.DateField(
        label=_("Date worked"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean_worked_on(self):
        worked_on = self.cleaned_data.get("worked_on") or timezone.localdate()
        errors = services.time_entry_check(minutes=1, worked_on=worked_on)
        if "worked_on" in errors:
            raise ValidationError(errors["worked_on"])
        return worked_on


class ChargebackForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    month = forms.CharField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-03"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import Organisation

        self.fields["organisation"].queryset = Organisation.objects.order_by("name")

    def clean_month(self):
        from timekeeping.selectors import parse_month

        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise ValidationError(_("Give a month as YYYY-MM."))
        return month


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end is before the start."))
        return data
