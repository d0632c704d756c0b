"""Typed fields an administrator defines: the catalogue's request-item forms and the custom
fields on records (customfields/) build their form fields here, so both validate alike.

A *spec* is any object with `label`, `field_type` (a `FieldType`), `required`, `help_text`,
`choice_list`, `min_value`, `max_value`, `max_length` and `pattern`: a row of either app, whose
models inherit these columns from `FieldSpec`.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.attachments import attachment_check
from servicedesk.registry import shared_model


class FieldType(models.TextChoices):
    TEXT = "text", gettext_lazy("Text")
    NUMBER = "number", gettext_lazy("Number")
    CHOICE = "choice", gettext_lazy("Choice")
    DATE = "date", gettext_lazy("Date")
    USER = "user", gettext_lazy("Person")
    CI = "ci", gettext_lazy("Configuration item")
    CHECKBOX = "checkbox", gettext_lazy("Checkbox")
    ATTACHMENT = "attachment", gettext_lazy("Attachment")


def choice_lines(text: str) -> list[str]:
    """The choices an administrator typed, one per line, without the blank lines."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_spec(*, field_type: str, choices: str, pattern: str) -> None:
    """A definition's own rules: a choice field lists its choices, a pattern compiles."""
    if field_type == FieldType.CHOICE and not choice_lines(choices):
        raise ValidationError({"choices": _("List the choices, one per line.")})
    if pattern:
        try:
            re.compile(pattern)
        except re.error:
            raise ValidationError({"pattern": _("This is not a valid pattern.")}) from None


class FieldSpec(models.Model):
    """The columns of a typed field an administrator defines (its key, label, type, rules and
    place in the form), shared by the catalogue's request fields and the custom fields on
    records. A model narrows `field_type`'s choices by declaring it again."""

    name = models.SlugField(
        gettext_lazy("key"), max_length=50, help_text=gettext_lazy("Used in the API and exports.")
    )
    label = models.CharField(gettext_lazy("label"), max_length=200)
    field_type = models.CharField(gettext_lazy("type"), max_length=12, choices=FieldType.choices)
    required = models.BooleanField(gettext_lazy("required"), default=False)
    help_text = models.CharField(gettext_lazy("help text"), max_length=300, blank=True)
    choices = models.TextField(
        gettext_lazy("choices"), blank=True, help_text=gettext_lazy("One per line.")
    )
    min_value = models.DecimalField(
        gettext_lazy("minimum"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        gettext_lazy("maximum"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(gettext_lazy("maximum length"), null=True, blank=True)
    pattern = models.CharField(
        gettext_lazy("pattern"),
        max_length=200,
        blank=True,
        help_text=gettext_lazy("A regular expression text must match."),
    )
    order = models.PositiveSmallIntegerField(gettext_lazy("order"), default=10)

    class Meta:
        abstract = True

    def __str__(self):
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return choice_lines(self.choices)

    def clean(self):
        check_spec(field_type=self.field_type, choices=self.choices, pattern=self.pattern)


class PersonField(forms.CharField):
    """A person named by e-mail address (or, from the API, by id)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        query = get_user_model()._default_manager.filter(is_active=True)
        person = (
            query.filter(pk=int(value)).first()
            if str(value).isdigit() and len(str(value)) <= 18
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


def form_field(spec: Any, *, label: Any = None) -> forms.Field:
    """The Django form field for a spec, with its rules (range, length, pattern, choices)."""
    common = {
        "label": label if label is not None else spec.label,
        "required": spec.required,
        "help_text": spec.help_text,
    }
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
        model = shared_model("configuration_item")
        return forms.ModelChoiceField(
            queryset=model._default_manager.filter(is_active=True).order_by("name"), **common
        )
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    return CheckedFileField(**common)
