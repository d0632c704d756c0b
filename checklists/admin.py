"""Administrators keep the checklist templates: per record type, optionally per category."""

from django import forms
from django.contrib import admin

from checklists.models import ChecklistTemplate, ChecklistTemplateItem, record_type_choices


class ChecklistTemplateForm(forms.ModelForm):
    class Meta:
        model = ChecklistTemplate
        fields = ["name", "record_type", "category", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"] = forms.ChoiceField(
            label=self.fields["record_type"].label,
            help_text=self.fields["record_type"].help_text,
            choices=record_type_choices(),
        )


class ChecklistTemplateItemInline(admin.TabularInline):
    model = ChecklistTemplateItem
    extra = 3
    fields = ["order", "title", "required"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    form = ChecklistTemplateForm
    inlines = [ChecklistTemplateItemInline]
    list_display = ["name", "record_type", "category", "is_active"]
    list_filter = ["record_type", "is_active"]
    search_fields = ["name", "items__title"]
    autocomplete_fields = ["category"]
