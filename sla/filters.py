import django_filters
from django.utils.translation import gettext_lazy as _

from servicedesk.filters import IdFilter
from sla.models import Metric, SlaTimer, TimerState


class SlaTimerFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=TimerState.choices, label=_("State"), distinct=False
    )
    metric = django_filters.ChoiceFilter(choices=Metric.choices, label=_("Metric"))
    record_type = django_filters.CharFilter(
        field_name="content_type__model", label=_("Record type")
    )
    object_id = IdFilter(label=_("Record id"))
    breached = django_filters.BooleanFilter(
        field_name="breached_at", lookup_expr="isnull", exclude=True, label=_("Breached")
    )
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = SlaTimer
        fields = []
