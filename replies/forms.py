from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from accounts.selectors import assignable_people
from replies.models import TAG_MAX_LENGTH, CannedResponse, Macro
from replies.selectors import responses_for
from replies.services import MACRO_ACTIONS
from servicedesk import registry
from servicedesk.models import Visibility


class SharedForm(forms.Form):
    """What the agents' pages of canned responses and of macros have in common: a name, and
    personal or shared with one of the person's groups."""

    name = forms.CharField(label=_("Name"), max_length=120)
    support_group = forms.ModelChoiceField(
        label=_("Shared with"),
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label=_("Nobody (personal)"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["support_group"].queryset = (
            SupportGroup.objects.filter(Q(members=user) | Q(lead=user), is_active=True)
            .distinct()
            .order_by("name")
        )


class CannedResponseForm(SharedForm):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        for code, label in settings.LANGUAGES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Text in %(language)s") % {"language": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4, "lang": code, "dir": "auto"}),
                help_text=_(
                    "Placeholders: {{ requester_name }}, {{ number }}, {{ title }}, {{ due }}, "
                    "{{ link }}, {{ agent_name }}."
                )
                if code == settings.LANGUAGE_CODE
                else "",
            )

    def texts(self) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"text_{code}", "") for code, _label in settings.LANGUAGES
        }

    def language_fields(self):
        return [self[f"text_{code}"] for code, _label in settings.LANGUAGES]


def _statuses() -> list[tuple[str, str]]:
    """Every status a macro may set, from the record types' workflows (checked against the
    chosen type by `services.macro_errors`)."""
    seen: dict[str, str] = {}
    for record_type in registry.all_types():
        if record_type.has("transition"):
            for key, label in record_type.workflow.labels.items():
                seen.setdefault(key, str(label))
    return [("", "---------"), *sorted(seen.items(), key=lambda item: item[1])]


class MacroForm(SharedForm):
    """The agents' macro: the admin's fields, without owner and active."""

    # Labels and help from the model's fields (the admin's words).
    record_type = forms.ChoiceField(required=False)
    assign_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False
    )
    assign_agent = forms.ModelChoiceField(queryset=assignable_people(), required=False)
    response = forms.ModelChoiceField(queryset=CannedResponse.objects.none(), required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices)
    add_tags = forms.CharField(max_length=255, required=False)
    status = forms.ChoiceField(required=False)
    pending_reason = forms.CharField(max_length=40, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["record_type"].choices = [("", _("Every record type"))] + [
            (t.key, t.name) for t in registry.all_types()
        ]
        self.fields["response"].queryset = responses_for(user).order_by("name")
        self.fields["status"].choices = _statuses()
        for name in MACRO_ACTIONS:
            model_field = Macro._meta.get_field(name)
            self.fields[name].label = capfirst(model_field.verbose_name)
            self.fields[name].help_text = model_field.help_text

    def actions(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in MACRO_ACTIONS}

    @classmethod
    def initial_of(cls, macro: Macro) -> dict:
        names = ("name", "support_group", *MACRO_ACTIONS)
        return {name: getattr(macro, name) for name in names}


class TagForm(forms.Form):
    tags = forms.CharField(label=_("Tags"), max_length=TAG_MAX_LENGTH * 5)
