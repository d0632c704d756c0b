"""One filter set for the event console and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from events.choices import EventState, Severity
from events.models import AlertSource, Event


class EventFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=EventState.choices, label=_("State"))
    source = django_filters.ModelChoiceFilter(queryset=AlertSource.objects.all(),
                                              label=_("Source"))  # fmt: skip
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    configuration_item = django_filters.NumberFilter(label=_("CI"))
    host = django_filters.CharFilter(label=_("Host"))
    incident = django_filters.NumberFilter(label=_("Incident"))
    parent = django_filters.NumberFilter(label=_("Correlated under"))

    class Meta:
        model = Event
        fields = ["state", "source", "severity", "configuration_item", "host", "incident",
                  "parent"]  # fmt: skip
