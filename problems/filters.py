"""The problem FilterSet, shared by the problem queue page and the REST API: the record
facts incidents filter on too, plus the problem's own."""

import django_filters
from django.utils.translation import gettext_lazy as _

from incidents.filters import RecordFactsFilter
from problems.choices import ProblemStatus
from problems.models import Problem


class ProblemFilter(RecordFactsFilter):
    status = django_filters.MultipleChoiceFilter(
        choices=ProblemStatus.choices, label=_("Status"), distinct=False
    )
    known_error = django_filters.BooleanFilter(
        field_name="known_error_at", lookup_expr="isnull", exclude=True, label=_("Known error")
    )

    class Meta:
        model = Problem
        fields = []
