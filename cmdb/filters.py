"""FilterSets shared by the CMDB pages and the REST API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from cmdb.choices import Criticality, Environment, LifecycleStatus, RelationshipType
from cmdb.models import CIClass, ConfigurationItem, Relationship
from cmdb.selectors import search_filter
from servicedesk import registry
from servicedesk.filters import IdFilter


class ConfigurationItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    ci_class = django_filters.ModelChoiceFilter(
        queryset=CIClass.objects.filter(is_active=True),
        label=_("Class"),
        empty_label=_("Any"),
    )
    class_code = django_filters.CharFilter(field_name="ci_class__code", label=_("Class code"))
    status = django_filters.MultipleChoiceFilter(
        choices=LifecycleStatus.choices, label=_("Lifecycle status"), distinct=False
    )
    criticality = django_filters.MultipleChoiceFilter(
        choices=Criticality.choices, label=_("Criticality"), distinct=False
    )
    environment = django_filters.ChoiceFilter(
        choices=Environment.choices, label=_("Environment"), empty_label=_("Any")
    )
    owner_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.filter(is_active=True),
        label=_("Owner group"),
        empty_label=_("Any"),
    )
    location = django_filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.filter(ci_class__is_location=True),
        label=_("Location"),
        empty_label=_("Any"),
    )
    service = django_filters.ModelChoiceFilter(
        queryset=registry.shared_model("service").objects.all(),
        label=_("Catalogue service"),
        empty_label=_("Any"),
    )

    class Meta:
        model = ConfigurationItem
        fields = ["q", "ci_class", "class_code", "status", "criticality", "environment",
                  "owner_group", "location", "service"]  # fmt: skip

    def search(self, queryset, name, value):
        return queryset.filter(search_filter(value.strip())) if value.strip() else queryset


class RelationshipFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=RelationshipType.choices, label=_("Type"))
    source = IdFilter(field_name="source_id", label=_("Source"))
    target = IdFilter(field_name="target_id", label=_("Target"))
    ci = IdFilter(method="either_end", label=_("Either end"))

    class Meta:
        model = Relationship
        fields = ["type", "source", "target", "ci"]

    def either_end(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(source_id=value) | Q(target_id=value))
