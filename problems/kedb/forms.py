from django import forms
from django.utils.translation import gettext_lazy as _


class KnownErrorSearchForm(forms.Form):
    q = forms.CharField(label=_("Search known errors"), max_length=200, required=False)
    incident = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
