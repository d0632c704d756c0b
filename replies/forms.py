from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from replies.models import TAG_MAX_LENGTH


class CannedResponseForm(forms.Form):
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


class TagForm(forms.Form):
    tags = forms.CharField(label=_("Tags"), max_length=TAG_MAX_LENGTH * 5)
