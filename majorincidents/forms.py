from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from majorincidents.models import ServiceHealth


class PlanForm(forms.Form):
    update_interval = forms.IntegerField(
        label=_("Update interval (minutes)"), min_value=5, max_value=1440, initial=60
    )
    people = forms.ModelMultipleChoiceField(
        label=_("Stakeholders: people"),
        # The desk's people (members of a support group): end users are reached as affected
        # users or subscribers, and a menu of every account would not scale.
        queryset=User.objects.filter(is_active=True, support_groups__isnull=False)
        .distinct()
        .order_by("full_name"),
        required=False,
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Stakeholders: support groups"),
        queryset=SupportGroup.objects.order_by("name"),
        required=False,
    )
    addresses = forms.CharField(
        label=_("Stakeholders: e-mail addresses"),
        help_text=_("One a line."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    template_affected = forms.CharField(
        label=_("Opening of the message to affected users and subscribers"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    template_stakeholders = forms.CharField(
        label=_("Opening of the message to stakeholders"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    template_public = forms.CharField(
        label=_("Starting text of a status-page update"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def address_list(self) -> list[str]:
        return [a.strip() for a in self.cleaned_data.get("addresses", "").splitlines() if a.strip()]


class UpdateForm(forms.Form):
    text = forms.CharField(
        label=_("Update"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    health = forms.ChoiceField(label=_("Service status"), choices=ServiceHealth.choices)
    to_affected = forms.BooleanField(label=_("Affected users"), required=False, initial=True)
    to_subscribers = forms.BooleanField(label=_("Subscribers"), required=False, initial=True)
    to_stakeholders = forms.BooleanField(label=_("Stakeholders"), required=False, initial=True)
    on_status_page = forms.BooleanField(label=_("Status page"), required=False, initial=True)


class ChildForm(forms.Form):
    number = forms.CharField(
        label=_("Child incident number"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123", "autocomplete": "off"}),
    )


class AddressForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"))
