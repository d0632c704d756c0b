"""The search page's form: the text and its filters (type, status, creation dates)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from search import selectors


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=selectors.MAX_TEXT, required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Everything")), *selectors.kind_choices(user)]
        kind = (self.data.get("kind") or "").strip()
        kinds = (kind,) if kind else ()
        self.fields["status"].choices = [("", _("Any status")), *selectors.status_choices(kinds)]

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date is before the start date."))
        return data

    def filters(self) -> selectors.Filters:
        data = self.cleaned_data
        return selectors.Filters(
            kinds=(data["kind"],) if data.get("kind") else (),
            status=data.get("status") or "",
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )
