from django import forms
from django.utils.translation import gettext_lazy as _

DAYS = [
    ("1", _("Monday")), ("2", _("Tuesday")), ("3", _("Wednesday")), ("4", _("Thursday")),
    ("5", _("Friday")), ("6", _("Saturday")), ("7", _("Sunday")),
]  # fmt: skip


class AvailabilityForm(forms.Form):
    present = forms.BooleanField(label=_("Present: give me new records"), required=False)
    work_days = forms.MultipleChoiceField(
        label=_("Working days"), choices=DAYS, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    starts_at = forms.TimeField(
        label=_("Starts at"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends_at = forms.TimeField(
        label=_("Ends at"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills (categories)"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.apps import apps

        category = apps.get_model("incidents", "Category")
        self.fields["skills"].queryset = category.objects.filter(parent__isnull=True).order_by(
            "name"
        )
