"""Form widgets shared by the apps."""

from typing import cast

from django import forms
from django.urls import reverse


class SearchSelect(forms.Select):
    """A select for a model with too many rows to list (configuration items): it renders only
    the chosen row, and a search box beside it fills the select with matches from `search_url`
    (htmx). Validation is the field's own, against its whole queryset."""

    # An app template: the form renderer looks in the apps' templates, not the project's.
    template_name = "servicedesk/widgets/search_select.html"

    def __init__(self, search_url: str, attrs=None):
        super().__init__(attrs)
        self.search_url = search_url
        self.known: dict[str, str] = {}  # labels the form already has: {pk: label}, no query

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.known = dict(self.known)
        return copy

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = reverse(self.search_url)
        return context

    def optgroups(self, name, value, attrs=None):
        iterator = cast(forms.models.ModelChoiceIterator, self.choices)
        chosen = [v for v in value if str(v).isdigit()]
        rows = iterator.queryset.filter(pk__in=chosen) if chosen else []
        full, self.choices = (
            self.choices,
            [
                ("", "---------"),
                *((row.pk, iterator.field.label_from_instance(row)) for row in rows),
            ],
        )
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = full
