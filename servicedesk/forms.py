"""Form pieces every record type's pages share: showing a service's errors, the comment box,
the assignment box, a status change and the links card."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from accounts.selectors import assignable_people
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


# The attributes that make an assignee menu follow the group menu before it: on a change, htmx
# fetches the group's people as <option>s into the next assignee <select>, keeping its choice.
FOLLOWED_BY_ASSIGNEES = {
    "hx-get": reverse_lazy("accounts:assignee_options"),
    "hx-trigger": "change",
    "hx-target": "next select[name=assignee]",
    "hx-include": "next select[name=assignee]",
    "hx-swap": "innerHTML",
    "data-assignees-follow": "",
}


def _id_or_none(value) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


class AssignForm(forms.Form):
    """A support group and optionally a person in it, on the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    support_group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.filter(is_active=True),
        widget=forms.Select(attrs=FOLLOWED_BY_ASSIGNEES),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["assignee"])
        # Accepted: anyone in a group (the service names a person outside the chosen one).
        field.queryset = assignable_people()
        # Offered: the people of the group the form shows.
        if self.is_bound:
            group_id = _id_or_none(self.data.get(self.add_prefix("support_group")))
        else:
            group_id = _id_or_none(self.initial.get("support_group"))
        people = assignable_people(support_group_id=group_id) if group_id else field.queryset
        field.widget.choices = [("", field.empty_label), *people.values_list("pk", "full_name")]

    @classmethod
    def for_record(cls, record) -> "AssignForm":
        """The form as a record's page first shows it: its group, assignee and version."""
        return cls(
            initial={
                "version": record.version,
                "support_group": record.support_group_id,
                "assignee": record.assignee_id,
            }
        )


class TransitionForm(forms.Form):
    """A status change with an optional note, on the version the page showed. A record type
    names its statuses (`STATUSES`) and adds the fields a status needs."""

    STATUSES: list[tuple[str, str]] = []

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    target = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = self.STATUSES
