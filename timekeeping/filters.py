import django_filters

from timekeeping.models import TimeEntry


class TimeEntryFilter(django_filters.FilterSet):
    """The time entries' filters (the API's list): by agent, date worked and billable."""

    agent = django_filters.NumberFilter(field_name="agent_id")
    date_from = django_filters.DateFilter(field_name="worked_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="worked_on", lookup_expr="lte")
    billable = django_filters.BooleanFilter()

    class Meta:
        model = TimeEntry
        fields = ["agent", "date_from", "date_to", "billable"]
