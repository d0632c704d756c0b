"""The change FilterSet, shared by the change queue and the REST API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from catalogue.models import Service
from changes.choices import ChangeStatus, ChangeType, RiskLevel
from changes.models import Change, ChangeCategory
from cmdb.models import ConfigurationItem


class ChangeFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ChangeStatus.choices, label=_("Status"), distinct=False
    )
    change_type = django_filters.MultipleChoiceFilter(
        choices=ChangeType.choices, label=_("Type"), distinct=False
    )
    risk_level = django_filters.MultipleChoiceFilter(
        choices=RiskLevel.choices, label=_("Risk"), distinct=False
    )
    category = django_filters.ModelChoiceFilter(
        queryset=ChangeCategory.objects.all(), label=_("Category")
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.all(), label=_("Support group")
    )
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Owner"))
    configuration_item = django_filters.ModelChoiceFilter(
        field_name="configuration_items", queryset=ConfigurationItem.objects.all(),
        label=_("Affected CI"),
    )  # fmt: skip
    service = django_filters.ModelChoiceFilter(
        field_name="services", queryset=Service.objects.all(), label=_("Service")
    )
    planned_after = django_filters.IsoDateTimeFilter(
        field_name="planned_end", lookup_expr="gte", label=_("Planned to end after")
    )
    planned_before = django_filters.IsoDateTimeFilter(
        field_name="planned_start", lookup_expr="lt", label=_("Planned to start before")
    )

    class Meta:
        model = Change
        fields = [
            "status", "change_type", "risk_level", "category", "support_group", "assignee",
            "configuration_item", "service", "planned_after", "planned_before",
        ]  # fmt: skip
