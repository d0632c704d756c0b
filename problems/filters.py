"""The problem FilterSet, shared by the problem queue page and the REST API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents.choices import Impact, Urgency
from incidents.models import Category
from problems.choices import ProblemStatus
from problems.models import Problem
from servicedesk.numbering import NUMBER_DIGITS


class ProblemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        choices=ProblemStatus.choices, label=_("Status"), distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=[(n, f"P{n}") for n in range(1, 10)], label=_("Priority"), distinct=False
    )
    impact = django_filters.ChoiceFilter(
        choices=Impact.choices, label=_("Impact"), empty_label=_("Any")
    )
    urgency = django_filters.ChoiceFilter(
        choices=Urgency.choices, label=_("Urgency"), empty_label=_("Any")
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.filter(is_active=True),
        label=_("Support group"),
        empty_label=_("Any"),
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True, support_groups__isnull=False)
        .distinct()
        .order_by("full_name"),
        label=_("Problem manager"),
        empty_label=_("Any"),
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(), label=_("Service"), empty_label=_("Any")
    )
    configuration_item = django_filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.all(),
        label=_("Configuration item"),
        empty_label=_("Any"),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.filter(parent__isnull=True),
        label=_("Category"),
        empty_label=_("Any"),
    )
    known_error = django_filters.BooleanFilter(
        field_name="known_error_at", lookup_expr="isnull", exclude=True, label=_("Known error")
    )
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created from")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Created before")
    )

    class Meta:
        model = Problem
        fields = []

    def search(self, queryset, name, value):
        """A number (PRB0000012 or 12) finds that problem; other text searches titles."""
        value = value.strip()
        if not value:
            return queryset
        digits = value.upper().removeprefix(Problem.NUMBER_PREFIX)
        if digits.isdigit() and len(digits) <= 18:
            return queryset.filter(number=f"{Problem.NUMBER_PREFIX}{int(digits):0{NUMBER_DIGITS}d}")
        return queryset.filter(title__icontains=value)
