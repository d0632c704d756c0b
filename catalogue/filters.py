"""The request and task FilterSets, shared by the agent pages and the REST API."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup, User
from catalogue.models import (
    FulfilmentTask,
    RequestItem,
    RequestStatus,
    Service,
    ServiceRequest,
    TaskStatus,
)
from servicedesk.selectors import record_model_for_number


class RequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=RequestStatus.choices, label=_("Status"), distinct=False
    )
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("Service"))
    item = django_filters.ModelChoiceFilter(queryset=RequestItem.objects.all(), label=_("Item"))
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.filter(is_active=True), label=_("Support group")
    )
    requester = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Requester"))
    # The pages filter by the requester's e-mail: a list of every person would not fit a page.
    requester_email = django_filters.CharFilter(
        field_name="requester__email", lookup_expr="iexact", label=_("Requester's e-mail")
    )

    class Meta:
        model = ServiceRequest
        fields = ["status", "service", "item", "support_group", "requester"]


class TaskFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=TaskStatus.choices, label=_("Status"), distinct=False
    )
    support_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.filter(is_active=True), label=_("Support group")
    )
    # Only people in a support group can hold a task: the list stays short however many
    # requesters the directory has.
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True, support_groups__isnull=False)
        .distinct()
        .order_by("full_name"),
        label=_("Assignee"),
    )

    parent = django_filters.CharFilter(
        method="filter_parent", label=_("Record"), help_text=_("A record's number: its tasks.")
    )

    class Meta:
        model = FulfilmentTask
        fields = ["status", "support_group", "assignee", "parent"]

    def filter_parent(self, queryset, name, value):
        """The tasks of the record with this number (its content type and id: the parent index)."""
        found = record_model_for_number(value)
        if found is None:
            return queryset.none()
        model, number = found
        parent_id = model._default_manager.filter(number=number).values_list("pk", flat=True)
        return queryset.filter(
            parent_type=ContentType.objects.get_for_model(model), parent_id__in=parent_id
        )
