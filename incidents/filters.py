"""The incident FilterSet, shared by the agent queue page and the REST API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, SupportGroup, User
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from customfields.filters import CustomFieldFilterMixin
from incidents.choices import Channel, IncidentStatus
from incidents.levels import impact_choices, urgency_choices
from incidents.models import Category, Incident
from replies import selectors as replies_selectors
from servicedesk.numbering import NUMBER_DIGITS

# Sortable columns: (query value, model field). "-" prefix sorts descending.
SORTABLE = {
    "number": "number",
    "title": "title",
    "status": "status",
    "priority": "priority",
    "created": "created_at",
    "updated": "updated_at",
    "requester": "requester__full_name",
    "assignee": "assignee__full_name",
    "group": "support_group__name",
    "category": "category__name",
}


def number_or_title(queryset, value: str, prefix: str):
    """A number (INC0001234 or 1234) finds that record by its unique index; other text searches
    titles (digits are not looked for in titles)."""
    value = value.strip()
    if not value:
        return queryset
    digits = value.upper().removeprefix(prefix)
    if digits.isdigit() and len(digits) <= 18:
        return queryset.filter(number=f"{prefix}{int(digits):0{NUMBER_DIGITS}d}")
    return queryset.filter(title__icontains=value)


class RecordFactsFilter(django_filters.FilterSet):
    """The filters every ITIL record with a priority shares (incidents, problems): search,
    status and priority (set `status` choices in the subclass), impact, urgency, group,
    assignee, service, CI, category and the creation window."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    # distinct=False: django-filter's default for multiple choices adds SELECT DISTINCT, which
    # makes PostgreSQL sort every matching row before the LIMIT; plain columns never duplicate.
    priority = django_filters.MultipleChoiceFilter(
        choices=[(n, f"P{n}") for n in range(1, 10)], label=_("Priority"), distinct=False
    )
    impact = django_filters.ChoiceFilter(
        choices=impact_choices, label=_("Impact"), empty_label=_("Any")
    )
    urgency = django_filters.ChoiceFilter(
        choices=urgency_choices, label=_("Urgency"), empty_label=_("Any")
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.filter(is_active=True),
        label=_("Support group"),
        empty_label=_("Any"),
    )
    # Assignees are support group members: a few dozen, not every requester in the directory.
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True, support_groups__isnull=False)
        .distinct()
        .order_by("full_name"),
        label=_("Assignee"),
        empty_label=_("Any"),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.filter(parent__isnull=True),
        label=_("Category"),
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
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created from")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Created before")
    )

    def search(self, queryset, name, value):
        return number_or_title(queryset, value, self._meta.model.NUMBER_PREFIX)


class IncidentFilter(CustomFieldFilterMixin, RecordFactsFilter):
    status = django_filters.MultipleChoiceFilter(
        choices=IncidentStatus.choices, label=_("Status"), distinct=False
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, label=_("Channel"), empty_label=_("Any")
    )
    unassigned = django_filters.BooleanFilter(
        field_name="assignee", lookup_expr="isnull", label=_("Unassigned")
    )
    requester = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label=_("Requester"), empty_label=_("Any")
    )
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), label=_("Organisation"), empty_label=_("Any")
    )
    subcategory = django_filters.ModelChoiceFilter(
        queryset=Category.objects.filter(parent__isnull=False),
        label=_("Subcategory"),
        empty_label=_("Any"),
    )
    major_incident = django_filters.BooleanFilter(label=_("Major incident"))
    tag = django_filters.CharFilter(method="tagged", label=_("Tag"))
    parent = django_filters.ModelChoiceFilter(
        queryset=Incident.objects.all(), label=_("Parent incident"), empty_label=_("Any")
    )

    class Meta:
        model = Incident
        fields = []

    def tagged(self, queryset, name, value):
        """Records carrying the tag (an EXISTS on the tags' unique (tag, type, id) index)."""
        value = value.strip()
        return queryset.filter(replies_selectors.tagged(Incident, value)) if value else queryset
