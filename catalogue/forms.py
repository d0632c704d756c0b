"""The order form of a request item, built from the fields an administrator defined.

One Django form class serves the portal page and the API (which posts the same keys): typed
fields, required or optional, and the field's rules (range, length, pattern, choices).
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import SupportGroup, User
from accounts.selectors import assignable_people
from catalogue.models import FieldType, RequestField, RequestItem
from cmdb.models import ConfigurationItem
from servicedesk.attachments import attachment_check


class PersonField(forms.CharField):
    """A person named by e-mail address (or, from the API, by id)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        query = User.objects.filter(is_active=True)
        person = (
            query.filter(pk=int(value)).first()
            if str(value).isdigit()
            else query.filter(email__iexact=str(value).strip()).first()
        )
        if person is None:
            raise ValidationError(_("Nobody with this e-mail address uses the service desk."))
        return person


class CheckedFileField(forms.FileField):
    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded:
            attachment_check(uploaded)
        return uploaded


def _form_field(spec: RequestField) -> forms.Field:
    common = {"label": spec.label, "required": spec.required, "help_text": spec.help_text}
    kind = spec.field_type
    if kind == FieldType.TEXT:
        validators = []
        if spec.pattern:
            validators.append(
                RegexValidator(re.compile(spec.pattern), _("This does not have the expected form."))
            )
        long_text = (spec.max_length or 0) > 200 or not spec.max_length
        widget = forms.Textarea(attrs={"rows": 3}) if long_text else forms.TextInput
        return forms.CharField(
            max_length=spec.max_length, validators=validators, widget=widget, **common
        )
    if kind == FieldType.NUMBER:
        return forms.DecimalField(
            min_value=spec.min_value, max_value=spec.max_value, max_digits=14, decimal_places=2,
            **common,
        )  # fmt: skip
    if kind == FieldType.CHOICE:
        choices = [("", "---------"), *[(c, c) for c in spec.choice_list]]
        return forms.ChoiceField(choices=choices, **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.USER:
        return PersonField(widget=forms.EmailInput, **common)
    if kind == FieldType.CI:
        return forms.ModelChoiceField(
            queryset=ConfigurationItem.objects.filter(is_active=True).order_by("name"), **common
        )
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    return CheckedFileField(**common)


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
