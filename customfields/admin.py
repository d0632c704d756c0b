from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customfields import selectors
from customfields.models import CustomField
from servicedesk import registry


class CustomFieldForm(forms.ModelForm):
    """The record type as a menu of the registered types, the category as a menu of each type's
    categories ("incident:12"), checked to belong to the type chosen."""

    record_type = forms.ChoiceField(label=_("Record type"))
    category_choice = forms.ChoiceField(label=_("Category"), required=False)

    class Meta:
        model = CustomField
        fields = ["record_type", "name", "label", "labels", "field_type", "required", "help_text",
                  "choices", "min_value", "max_value", "max_length", "pattern", "order",
                  "is_active"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [(t.key, t.name) for t in registry.all_types()]
        self.fields["category_choice"].choices = [
            ("", _("Every record")),
            *selectors.category_choices(),
        ]
        if self.instance.pk and self.instance.category is not None:
            self.initial["category_choice"] = (
                f"{self.instance.record_type}:{self.instance.category}"
            )

    def clean(self):
        data = super().clean()
        chosen = data.get("category_choice") or ""
        if chosen:
            key, _sep, pk = chosen.partition(":")
            if key != data.get("record_type"):
                self.add_error("category_choice", _("This category is another record type's."))
            else:
                self.instance.category = int(pk)
        else:
            self.instance.category = None
        return data


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    form = CustomFieldForm
    list_display = ["label", "name", "record_type", "category", "field_type", "required", "order",
                    "is_active"]  # fmt: skip
    list_filter = ["record_type", "field_type", "is_active"]
    search_fields = ["name", "label"]
    fields = ["record_type", "category_choice", "name", "label", "labels", "field_type", "required",
              "help_text", "choices", "min_value", "max_value", "max_length", "pattern", "order",
              "is_active"]  # fmt: skip
