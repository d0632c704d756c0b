"""Problem forms: input shapes only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents.choices import Impact, Urgency
from incidents.models import Category, Incident
from problems.choices import FISHBONE_CATEGORIES, FIVE_WHYS, ProblemStatus, RcaMethod
from problems.models import Problem
from servicedesk.forms import TransitionForm

TIMELINE_ROWS = 6


class ProblemForm(forms.ModelForm):
    """The facts of a problem (create and edit)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Problem
        fields = ["title", "description", "impact", "urgency", "category", "service",
                  "configuration_item", "support_group"]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            parent__isnull=True, is_active=True
        )
        self.fields["support_group"].queryset = SupportGroup.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["service"].queryset = Service.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["configuration_item"].queryset = ConfigurationItem.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["impact"].choices = Impact.choices  # type: ignore[attr-defined]
        self.fields["urgency"].choices = Urgency.choices  # type: ignore[attr-defined]


class AnalysisForm(forms.Form):
    """Root-cause analysis: symptoms, the cause, the workaround and the method's notes."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    symptoms = forms.CharField(
        label=_("Symptoms"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    root_cause = forms.CharField(
        label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    workaround = forms.CharField(
        label=_("Workaround"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rca_method = forms.ChoiceField(
        label=_("Analysis method"), choices=RcaMethod.choices, required=False
    )

    def __init__(self, *args, problem: Problem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        data = (problem.rca_data if problem else None) or {}
        whys = data.get("five_whys") or []
        for n in range(FIVE_WHYS):
            self.fields[f"why_{n}"] = forms.CharField(
                label=_("Why? (%(n)d)") % {"n": n + 1}, required=False, max_length=2000,
                initial=whys[n] if n < len(whys) else "",
            )  # fmt: skip
        bones = data.get("fishbone") or {}
        for key, label in FISHBONE_CATEGORIES.items():
            self.fields[f"bone_{key}"] = forms.CharField(
                label=label, required=False, max_length=2000, initial=bones.get(key, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )  # fmt: skip
        rows = data.get("timeline") or []
        for n in range(max(TIMELINE_ROWS, len(rows) + 2)):
            row = rows[n] if n < len(rows) else {}
            self.fields[f"at_{n}"] = forms.CharField(
                label=_("Time"), required=False, initial=row.get("at", ""),
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            )  # fmt: skip
            self.fields[f"event_{n}"] = forms.CharField(
                label=_("Event"), required=False, max_length=2000, initial=row.get("event", "")
            )

    @property
    def why_fields(self):
        return [self[f"why_{n}"] for n in range(FIVE_WHYS)]

    @property
    def bone_fields(self):
        return [self[f"bone_{key}"] for key in FISHBONE_CATEGORIES]

    @property
    def timeline_fields(self):
        count = sum(1 for name in self.fields if name.startswith("at_"))
        return [(self[f"at_{n}"], self[f"event_{n}"]) for n in range(count)]

    def changes(self) -> dict:
        """The service's `changes` from the cleaned data."""
        data = self.cleaned_data
        count = sum(1 for name in self.fields if name.startswith("at_"))
        return {
            "symptoms": data["symptoms"],
            "root_cause": data["root_cause"],
            "workaround": data["workaround"],
            "rca_method": data["rca_method"],
            "rca_data": {
                "five_whys": [data[f"why_{n}"] for n in range(FIVE_WHYS)],
                "fishbone": {
                    k: data[f"bone_{k}"] for k in FISHBONE_CATEGORIES if data[f"bone_{k}"]
                },
                "timeline": [
                    {"at": data[f"at_{n}"], "event": data[f"event_{n}"]}
                    for n in range(count)
                    if data[f"at_{n}"] or data[f"event_{n}"]
                ],
            },
        }


class ProblemTransitionForm(TransitionForm):
    STATUSES = ProblemStatus.choices

    reason = forms.CharField(
        label=_("Why it is resolved without a change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    resolve_incidents = forms.BooleanField(
        label=_("Resolve its open incidents too (each requester is told)"), required=False
    )


class IncidentsForm(forms.Form):
    """Incidents chosen in a queue (their ids) or typed by number."""

    incidents = forms.ModelMultipleChoiceField(queryset=Incident.objects.all(), required=False)
    numbers = forms.CharField(
        label=_("Incident numbers"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123, INC0000124"}),
    )
