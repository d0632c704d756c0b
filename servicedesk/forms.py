"""Form pieces every record type's pages share."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk.models import LinkKind, Visibility


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the form's fields (others at the top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(
        label=_("Visible to"),
        choices=[
            (Visibility.PUBLIC, _("Public reply (the requester sees it)")),
            (Visibility.INTERNAL, _("Internal work note (agents only)")),
        ],
        initial=Visibility.INTERNAL,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(label=_("Attach a file"), required=False)


class RecordLinkForm(forms.Form):
    """Link this record to another one, given by its number (any record type)."""

    kind = forms.ChoiceField(label=_("This record is"), choices=LinkKind.choices)
    number = forms.CharField(
        label=_("Record number"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123", "autocomplete": "off"}),
    )
