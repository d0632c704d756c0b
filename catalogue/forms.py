"""The order form of a request item, built from the fields an administrator defined.

One Django form class serves the portal page and the API (which posts the same keys): typed
fields, required or optional, and the field's rules (range, length, pattern, choices).
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import SupportGroup
from accounts.selectors import assignable_people
from catalogue.models import FieldType, RequestField, RequestItem
from servicedesk.fieldtypes import CheckedFileField, PersonField, form_field

# Built in the kernel (servicedesk.fieldtypes), shared with the custom fields on records.
__all__ = ["CheckedFileField", "OrderForm", "PersonField", "form_schema"]


def _form_field(spec: RequestField) -> forms.Field:
    return form_field(spec)


class OrderForm(forms.Form):
    """`OrderForm(item, data, files)`: the item's fields in their order."""

    def __init__(self, item: RequestItem, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.specs = list(item.fields.all())
        for spec in self.specs:
            self.fields[spec.name] = _form_field(spec)

    def answers(self) -> tuple[dict, list]:
        """(answers for the record, [(field name, uploaded file)]) from cleaned data."""
        answers, files = {}, []
        for position, spec in enumerate(self.specs):
            value = self.cleaned_data.get(spec.name)
            entry = {"label": spec.label, "type": spec.field_type, "value": None, "text": "",
                     "order": position}  # fmt: skip
            if value in (None, ""):
                pass
            elif spec.field_type == FieldType.NUMBER:
                entry["value"] = str(value)
                entry["text"] = (
                    f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
                )
            elif spec.field_type == FieldType.DATE:
                entry["value"] = entry["text"] = value.isoformat()
            elif spec.field_type in (FieldType.USER, FieldType.CI):
                entry["value"], entry["text"] = value.pk, str(value)
            elif spec.field_type == FieldType.CHECKBOX:
                entry["value"] = bool(value)
                entry["text"] = str(_("Yes") if value else _("No"))
            elif spec.field_type == FieldType.ATTACHMENT:
                files.append((spec.name, value))
                entry["text"] = value.name
            else:
                entry["value"] = entry["text"] = str(value)
            answers[spec.name] = entry
        return answers, files


FIELD_TYPE_HELP = gettext_lazy(
    "text, number, choice, date, user (e-mail or id), ci (id), checkbox, attachment (multipart)"
)


def form_schema(item: RequestItem) -> list[dict]:
    """The item's form as data, for the API."""
    schema = []
    for spec in item.fields.all():
        entry = {
            "name": spec.name,
            "label": spec.label,
            "type": spec.field_type,
            "required": spec.required,
            "help_text": spec.help_text,
        }
        if spec.field_type == FieldType.CHOICE:
            entry["choices"] = spec.choice_list
        if spec.field_type == FieldType.NUMBER:
            entry["min"] = None if spec.min_value is None else str(spec.min_value)
            entry["max"] = None if spec.max_value is None else str(spec.max_value)
        if spec.field_type == FieldType.TEXT:
            entry["max_length"] = spec.max_length
            entry["pattern"] = spec.pattern
        schema.append(entry)
    return schema


class TaskAddForm(forms.Form):
    """A task on any record: what to do, who does it (a group, an agent or both), by when."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    support_group = forms.ModelChoiceField(
        label=gettext_lazy("Support group"),
        queryset=SupportGroup.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Agent"),
        queryset=assignable_people().order_by("full_name"),
        required=False,
    )
    due_at = forms.DateTimeField(
        label=gettext_lazy("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
