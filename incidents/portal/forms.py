"""What an end user fills in to report an incident in the portal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.choices import Impact, Urgency
from incidents.forms import CategoryChoiceField, top_categories
from incidents.levels import level_choices, middle_level

IMPACT_WORDS = {
    Impact.LOW: _("Only me"),
    Impact.MEDIUM: _("My team or department"),
    Impact.HIGH: _("The whole organisation or many customers"),
}
URGENCY_WORDS = {
    Urgency.LOW: _("I can work around it"),
    Urgency.MEDIUM: _("It slows me down"),
    Urgency.HIGH: _("I cannot work at all"),
}


class ReportIncidentForm(forms.Form):
    """What an end user tells us: what is wrong, how many it stops and how soon it is needed."""

    title = forms.CharField(
        label=_("What is wrong?"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": _("E.g. I cannot print to the floor 3 printer")}
        ),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you tried, any error message, since when."),
    )
    category = CategoryChoiceField(label=_("Area"), queryset=top_categories(), required=False)
    impact = forms.ChoiceField(label=_("Who is affected?"), choices=(), widget=forms.RadioSelect)
    urgency = forms.ChoiceField(
        label=_("How badly does it stop your work?"), choices=(), widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = top_categories()
        for axis, words in (("impact", IMPACT_WORDS), ("urgency", URGENCY_WORDS)):
            # Plain words for the levels they describe; the administrator's labels otherwise.
            choices = [
                (code, words.get(code, label)) for code, label in reversed(level_choices(axis))
            ]
            self.fields[axis].choices = choices
            self.fields[axis].initial = choices[0][0] if axis == "impact" else middle_level(axis)


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ReportWithDeflectionForm(ReportIncidentForm):
    """Report a problem: plain words, the service it is about, a file, and the deflection visit."""

    service = ServiceChoiceField(
        label=_("Which service is it about?"), queryset=None, required=False,
        empty_label=_("I don't know"),
    )  # fmt: skip
    file = forms.FileField(
        label=_("Attach a file (a screenshot, an error message)"), required=False
    )
    deflection = forms.IntegerField(widget=forms.HiddenInput, required=False)

    field_order = ["title", "description", "service", "category", "impact", "urgency", "file"]

    def __init__(self, *args, services=None, **kwargs):
        super().__init__(*args, **kwargs)
        from catalogue.models import Service

        self.fields["service"].queryset = (
            services if services is not None else Service.objects.none()
        )
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})
