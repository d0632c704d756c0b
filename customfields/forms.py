"""The form of a record's custom fields, built with the kernel's typed fields
(`servicedesk.fieldtypes.form_field`, as the catalogue's order forms are). It is a form of its
own, with the prefix `cf`, so any record page or create form can carry it beside its own."""

from __future__ import annotations

from typing import Any

from django import forms

from customfields.models import CustomField, FieldValue
from servicedesk.fieldtypes import FieldType, form_field

PREFIX = "cf"


def initial_value(field: CustomField, row: FieldValue | None) -> Any:
    if row is None:
        return None
    kind = field.field_type
    if kind == FieldType.NUMBER:
        return row.value_number
    if kind == FieldType.DATE:
        return row.value_date
    if kind == FieldType.CHECKBOX:
        return row.value_bool
    if kind == FieldType.USER:
        return row.display  # the person's e-mail address
    if kind == FieldType.CI:
        return row.value_ref
    return row.value_text


class CustomFieldsForm(forms.Form):
    """`CustomFieldsForm(fields=[CustomField], rows={field id: FieldValue}, data=...)`."""

    def __init__(self, *args, fields: list[CustomField], rows: dict | None = None, **kwargs):
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)
        self.specs = list(fields)
        rows = rows or {}
        for spec in self.specs:
            field = form_field(spec, label=spec.display_label)
            field.initial = initial_value(spec, rows.get(spec.pk))
            if spec.category is not None:
                field.widget.attrs["data-custom-category"] = str(spec.category)
            self.fields[spec.name] = field

    def values(self) -> dict[str, Any]:
        """{name: cleaned value} of every field (None for an empty one)."""
        return {spec.name: self.cleaned_data.get(spec.name) for spec in self.specs}


def for_new_record(record_type_key: str, data=None, *, category: str = "") -> CustomFieldsForm:
    """The custom fields of a new record's form: with posted data, those of the category
    posted (and those for every record); unbound, every field of the type (a category's are
    marked with `data-custom-category`)."""
    from customfields import selectors

    if data is None:
        return CustomFieldsForm(
            fields=selectors.fields_for(record_type_key, selectors.ALL_CATEGORIES)
        )
    category_id = int(category) if category.isdigit() and len(category) <= 18 else None
    return CustomFieldsForm(data, fields=selectors.fields_for(record_type_key, category_id))


def for_record(record, data=None) -> CustomFieldsForm:
    """The custom fields of a record's edit form, with its values."""
    from customfields import selectors

    return CustomFieldsForm(
        data, fields=selectors.fields_of_record(record), rows=selectors.values_of(record)
    )
