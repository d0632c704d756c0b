"""Forms of the agent workspace. They check shapes; the services check the rules."""

import functools

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents.choices import (
    Channel,
    IncidentStatus,
    PendingReason,
)
from incidents.levels import impact_choices, middle_level, resolution_menu, urgency_choices
from incidents.models import Category, Incident
from servicedesk.forms import (  # noqa: F401 (shared by every record page)
    AssignForm,
    CommentForm,
    apply_service_errors,
)
from servicedesk.forms import TransitionForm as KernelTransitionForm
from servicedesk.widgets import SearchSelect


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SubcategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} › {obj.name}"


def top_categories():
    return Category.objects.filter(parent__isnull=True, is_active=True).order_by("name")


def subcategories():
    return (
        Category.objects.filter(parent__isnull=False, is_active=True)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


class IncidentFactsForm(forms.Form):
    """The facts an agent sets when logging or editing an incident."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    impact = forms.ChoiceField(
        label=_("Impact"),
        choices=impact_choices,
        initial=functools.partial(middle_level, "impact"),
        help_text=_("How much of the business is affected."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=urgency_choices,
        initial=functools.partial(middle_level, "urgency"),
        help_text=_("How soon the business needs it back."),
    )
    category = CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    subcategory = SubcategoryChoiceField(
        label=_("Subcategory"), queryset=Category.objects.none(), required=False
    )
    service = forms.ModelChoiceField(
        label=_("Affected service"), queryset=Service.objects.filter(is_active=True), required=False
    )
    configuration_item = forms.ModelChoiceField(
        label=_("Configuration item"),
        queryset=ConfigurationItem.objects.filter(is_active=True),
        required=False,
        widget=SearchSelect("cmdb:ci_options"),  # a CMDB has too many CIs for a list
    )
    major_incident = forms.BooleanField(label=_("Major incident"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = top_categories()
        self.fields["subcategory"].queryset = subcategories()


class IncidentCreateForm(IncidentFactsForm):
    requester = forms.ModelChoiceField(
        label=_("Requester"),
        queryset=User.objects.filter(is_active=True),
        to_field_name="email",
        widget=forms.EmailInput(attrs={"list": "people", "autocomplete": "off"}),
        help_text=_("The e-mail address of the person who called."),
        error_messages={"invalid_choice": _("Nobody with this e-mail address is registered.")},
    )
    support_group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.filter(is_active=True),
        required=False,
        help_text=_("Leave empty to route by category, service and configuration item."),
    )
    channel = forms.ChoiceField(
        label=_("Reported by"), choices=Channel.choices, initial=Channel.EMAIL, required=False
    )
    resolve_now = forms.BooleanField(label=_("Resolved on the call"), required=False)
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"),
        choices=resolution_menu,
        required=False,
    )
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = ["requester", "title", "description"]


class IncidentEditForm(IncidentFactsForm):
    description = None  # edited in its own place, not in the facts panel
    version = forms.IntegerField(widget=forms.HiddenInput)
    parent = forms.ModelChoiceField(
        label=_("Parent incident"),
        queryset=Incident.objects.all(),
        to_field_name="number",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "INC0000000"}),
        error_messages={"invalid_choice": _("There is no incident with this number.")},
    )
    outage_started_at = forms.DateTimeField(
        label=_("Outage started"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Major incidents: when the service stopped (for availability and MTBF)."),
    )
    outage_ended_at = forms.DateTimeField(
        label=_("Outage ended"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the service worked again."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("outage_started_at"), data.get("outage_ended_at")
        if end and (not start or end < start):
            self.add_error("outage_ended_at", _("An outage ends after it starts."))
        return data

    @classmethod
    def for_incident(cls, incident: Incident, data=None):
        initial = {
            "version": incident.version,
            "title": incident.title,
            "impact": incident.impact,
            "urgency": incident.urgency,
            "category": incident.category_id,
            "subcategory": incident.subcategory_id,
            "service": incident.service_id,
            "configuration_item": incident.configuration_item_id,
            "major_incident": incident.major_incident,
            "parent": incident.parent.number if incident.parent_id else "",
            "outage_started_at": incident.outage_started_at,
            "outage_ended_at": incident.outage_ended_at,
        }
        form = cls(data=data, initial=initial)
        if incident.configuration_item_id:  # its label is known: the CI field needs no query
            form.fields["configuration_item"].widget.known = {
                str(incident.configuration_item_id): str(incident.configuration_item)
            }
        return form


class TransitionForm(KernelTransitionForm):
    """An incident's status change: what waiting and resolving need besides the note."""

    STATUSES = IncidentStatus.choices

    pending_reason = forms.ChoiceField(
        label=_("Waiting for"), choices=[("", "---------"), *PendingReason.choices], required=False
    )
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"),
        choices=resolution_menu,
        required=False,
    )
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class BulkForm(forms.Form):
    ACTIONS = [
        ("take", _("Assign to me")),
        ("assign", _("Assign to group / person")),
        ("status", _("Change status")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    incidents = forms.ModelMultipleChoiceField(queryset=Incident.objects.all())
    support_group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.filter(is_active=True),
        required=False,
        empty_label=_("Group…"),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True), required=False
    )
    target = forms.ChoiceField(
        label=_("New status"),
        choices=[("", _("Status…")), *[c for c in IncidentStatus.choices if c[0] != "resolved"]],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("support_group"):
            self.add_error("support_group", _("Choose the group to assign to."))
        if data.get("action") == "status" and not data.get("target"):
            self.add_error("target", _("Choose the new status."))
        return data


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)


class MergeForm(forms.Form):
    """Merge this incident, a duplicate, into another one given by its number."""

    into = forms.CharField(
        label=_("Merge into incident"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
