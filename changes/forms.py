"""The change pages' forms: they check shapes; `changes.services` does the work."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from catalogue.models import Service
from changes.choices import ChangeType, Outcome, RiskLevel
from changes.models import Change, ChangeCategory, StandardChangeTemplate
from cmdb.models import ConfigurationItem
from servicedesk.widgets import SearchSelect

WHEN = {"type": "datetime-local"}
WHEN_FORMAT = "%Y-%m-%dT%H:%M"


def _when(label):
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs=WHEN, format=WHEN_FORMAT),
    )


def _text(label, rows=3, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _person(label):
    return forms.ModelChoiceField(
        label=label,
        queryset=User.objects.filter(is_active=True, groups__name__in=STAFF_ROLES).distinct(),
        required=False,
    )


STAFF_ROLES = (
    "agent", "support_group_lead", "problem_manager", "change_manager", "cab_member",
    "configuration_manager", "service_desk_manager", "administrator",
)  # fmt: skip


class ChangeForm(forms.Form):
    """A change's own fields (raising and editing). Its affected CIs have their own card."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    change_type = forms.ChoiceField(
        label=_("Type"),
        choices=[(ChangeType.NORMAL, ChangeType.NORMAL.label),
                 (ChangeType.EMERGENCY, ChangeType.EMERGENCY.label)],
        help_text=_("Standard changes are raised from their template."),
    )  # fmt: skip
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ChangeCategory.objects.filter(is_active=True), required=False
    )
    description = _text(_("Description"), 4)
    reason = _text(_("Reason"), help_text=_("Why is the change needed?"))
    expected_benefit = _text(_("Return"), help_text=_("What the business gains from it."))
    risks = _text(_("Risks"), help_text=_("What could go wrong, and what it would hit."))
    resources = _text(_("Resources"), 2, help_text=_("People, time, money and tools it needs."))
    builder = _person(_("Built by"))
    tester = _person(_("Tested by"))
    implementer = _person(_("Implemented by"))
    relationship = _text(
        _("Relationship to other changes"),
        2,
        help_text=_("Changes it depends on or conflicts with."),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    implementation_plan = _text(_("Implementation plan"), 5)
    backout_plan = _text(_("Back-out plan"), 4)
    test_plan = _text(_("Test plan"), 4)
    planned_start = _when(_("Planned start"))
    planned_end = _when(_("Planned end"))

    OWN = (
        "title", "change_type", "category", "description", "reason", "expected_benefit", "risks",
        "resources", "builder", "tester", "implementer", "relationship", "implementation_plan",
        "backout_plan", "test_plan", "planned_start", "planned_end",
    )  # fmt: skip

    @classmethod
    def for_change(cls, change: Change, data=None) -> "ChangeForm":
        initial = {name: getattr(change, name) for name in cls.OWN}
        initial |= {"version": change.version, "services": list(change.services.all())}
        form = cls(data, initial=initial)
        if change.change_type == ChangeType.STANDARD:
            form.fields["change_type"].choices = [(ChangeType.STANDARD, ChangeType.STANDARD.label)]
        return form

    def own_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.OWN}


class ChangeCreateForm(ChangeForm):
    configuration_item = forms.ModelChoiceField(
        label=_("Affected CI"),
        queryset=ConfigurationItem.objects.filter(is_active=True),
        required=False,
        help_text=_("Add more on the change's page."),
        widget=SearchSelect("cmdb:ci_options"),
    )


class TemplateChangeForm(forms.Form):
    """Raising a standard change: the template and when."""

    template = forms.ModelChoiceField(
        label=_("Standard change"),
        queryset=StandardChangeTemplate.objects.filter(is_active=True),
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("The template's by default.")
    )
    planned_start = _when(_("Planned start"))


class CIAddForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    configuration_item = forms.ModelChoiceField(
        label=_("Add an affected CI"),
        queryset=ConfigurationItem.objects.filter(is_active=True),
        widget=SearchSelect("cmdb:ci_options"),
    )


class RiskForm(forms.Form):
    """One radio group per active question of the risk questionnaire (`q<question id>`)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, questions=(), answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        answers = answers or {}
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                help_text=question.help_text,
                choices=[(a.pk, a.text) for a in question.answers.all()],
                coerce=int,
                widget=forms.RadioSelect,
                initial=answers.get(question.pk),
            )

    def answers(self) -> dict[int, int]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items() if name[0] == "q"}


class ReviewForm(forms.Form):
    """The post-implementation review."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    objectives_met = forms.BooleanField(label=_("The objectives were met"), required=False)
    incidents_caused = _text(_("Incidents caused"), 2, help_text=_("Numbers and what happened."))
    lessons = forms.CharField(label=_("Lessons learnt"), widget=forms.Textarea(attrs={"rows": 4}))


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.ChoiceField(label=_("Closure code"), choices=Outcome.choices, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CalendarForm(forms.Form):
    """The change calendar's view, date and filters (all optional: a bad value is a message
    by the field and the calendar shows unfiltered)."""

    view = forms.ChoiceField(
        label=_("View"),
        required=False,
        choices=[("month", _("Month")), ("week", _("Week")), ("day", _("Day"))],
    )
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput({"type": "date"})
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    ci = forms.ModelChoiceField(
        label=_("Configuration item"),
        queryset=ConfigurationItem.objects.all(),
        required=False,
        widget=SearchSelect("cmdb:ci_options"),
    )
    group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.order_by("name"),
        required=False,
    )
    risk = forms.ChoiceField(
        label=_("Risk"), required=False, choices=[("", _("Any risk")), *RiskLevel.choices]
    )
    change = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
