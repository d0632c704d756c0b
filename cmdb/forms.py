"""Forms of the CMDB pages. They check shapes; cmdb.services checks the rules (typed attributes
included) and the views show its errors beside the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from cmdb.choices import (
    AttributeType,
    Criticality,
    Direction,
    Environment,
    LifecycleStatus,
    RelationshipType,
)
from cmdb.graph import MAX_DEPTH, default_depth
from cmdb.models import CIClass, ConfigurationItem
from cmdb.selectors import class_attributes
from servicedesk import registry

REFERENCE_DATALIST_LIMIT = 200


class CIForm(forms.Form):
    """A CI's fields plus one `attr_<code>` field per attribute of its class."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=200)
    ci_class = forms.ModelChoiceField(
        label=_("Class"), queryset=CIClass.objects.filter(is_active=True).order_by("name")
    )
    status = forms.ChoiceField(
        label=_("Lifecycle status"), choices=LifecycleStatus.choices, initial=LifecycleStatus.LIVE
    )
    criticality = forms.TypedChoiceField(
        label=_("Criticality"), choices=Criticality.choices, coerce=int, initial=Criticality.MEDIUM
    )
    environment = forms.ChoiceField(
        label=_("Environment"), choices=Environment.choices, initial=Environment.PRODUCTION
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=ConfigurationItem.objects.filter(ci_class__is_location=True).order_by("name"),
        required=False,
    )
    owner_group = forms.ModelChoiceField(
        label=_("Owner group"),
        queryset=SupportGroup.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text=_("The team accountable for the configuration item's record."),
    )
    support_group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text=_("Incidents on this configuration item are routed here."),
    )
    service = forms.ModelChoiceField(
        label=_("Catalogue service"),
        queryset=registry.shared_model("service").objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text=_("For a business service: the service of the catalogue it is."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, ci_class: CIClass | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.attribute_names = []
        self.reference_lists = {}
        for definition in class_attributes(ci_class):
            name = f"attr_{definition.code}"
            self.fields[name] = _attribute_field(definition)
            self.attribute_names.append(name)
            if definition.type == AttributeType.REFERENCE:
                targets = ConfigurationItem.objects.order_by("name")
                if definition.reference_class_id:
                    targets = targets.filter(ci_class_id=definition.reference_class_id)
                self.reference_lists[name] = list(
                    targets.values_list("name", flat=True)[:REFERENCE_DATALIST_LIMIT]
                )
                self.fields[name].widget.attrs["list"] = f"list-{name}"

    @property
    def attribute_fields(self):
        return [self[name] for name in self.attribute_names]

    def service_values(self) -> dict:
        """Cleaned data as the services take it: fields, and the attributes by code."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["attributes"] = {
            name.removeprefix("attr_"): data.pop(name) for name in self.attribute_names
        }
        return data


def _attribute_field(definition) -> forms.Field:
    common = {"label": definition.label, "required": False}
    if definition.type == AttributeType.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if definition.type == AttributeType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.type == AttributeType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(c, c) for c in definition.choices]], **common
        )
    if definition.type == AttributeType.REFERENCE:
        return forms.CharField(
            help_text=_("The name of a configuration item")
            + (f" ({definition.reference_class.name})" if definition.reference_class_id else ""),
            **common,
        )
    return forms.CharField(max_length=1000, **common)


def initial_for(ci: ConfigurationItem) -> dict:
    initial = {
        "version": ci.version,
        "name": ci.name,
        "ci_class": ci.ci_class_id,
        "status": ci.status,
        "criticality": ci.criticality,
        "environment": ci.environment,
        "location": ci.location_id,
        "owner_group": ci.owner_group_id,
        "support_group": ci.support_group_id,
        "service": ci.service_id,
        "description": ci.description,
    }
    reference_codes = {
        d.code for d in class_attributes(ci.ci_class) if d.type == AttributeType.REFERENCE
    }
    names = dict(
        ConfigurationItem.objects.filter(
            pk__in=[ci.attributes[c] for c in reference_codes if ci.attributes.get(c)]
        ).values_list("pk", "name")
    )
    for code, value in ci.attributes.items():
        initial[f"attr_{code}"] = names.get(value, value) if code in reference_codes else value
    return initial


class RelationshipForm(forms.Form):
    HERE_NEEDS_OTHER = "out"
    OTHER_NEEDS_HERE = "in"

    type = forms.ChoiceField(label=_("Relationship type"), choices=RelationshipType.choices)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (HERE_NEEDS_OTHER, _("this configuration item → the other")),
            (OTHER_NEEDS_HERE, _("the other → this configuration item")),
        ],
        initial=HERE_NEEDS_OTHER,
    )
    other = forms.CharField(
        label=_("Other configuration item"),
        max_length=200,
        widget=forms.TextInput(attrs={"list": "ci-names", "autocomplete": "off"}),
    )

    def clean_other(self):
        name = self.cleaned_data["other"].strip()
        other = ConfigurationItem.objects.filter(name=name).first()
        if other is None:
            raise forms.ValidationError(
                _("No configuration item is called “%(name)s”.") % {"name": name}
            )
        return other


class ImpactForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        initial=Direction.DOWNSTREAM,
        required=False,
    )
    depth = forms.TypedChoiceField(
        label=_("Depth"), choices=[(n, str(n)) for n in range(1, MAX_DEPTH + 1)], coerce=int,
        initial=default_depth, required=False,
    )  # fmt: skip


class ImportForm(forms.Form):
    KIND_CIS = "cis"
    KIND_RELATIONSHIPS = "relationships"

    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(KIND_CIS, _("Configuration items")), (KIND_RELATIONSHIPS, _("Relationships"))],
    )
    file = forms.FileField(label=_("CSV file"))
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row and save nothing"), required=False, initial=True
    )


class BaselineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    ci_class = forms.ModelChoiceField(
        label=_("Class"),
        queryset=CIClass.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Every configuration item"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProposalDecisionForm(forms.Form):
    impact = forms.ChoiceField(
        label=_("Impact"),
        choices=[("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))],
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
