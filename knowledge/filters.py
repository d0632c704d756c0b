"""The knowledge API's list filters (the workspace list reads the same fields)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from knowledge.choices import ArticleStatus, Audience
from knowledge.models import Article
from servicedesk.filters import IdFilter


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="title_has", label=_("Title contains"))
    status = django_filters.MultipleChoiceFilter(
        choices=ArticleStatus.choices, label=_("Status"), distinct=False
    )
    audience = django_filters.ChoiceFilter(choices=Audience.choices, label=_("Audience"))
    service = IdFilter(field_name="service_id", label=_("Service"))
    organisation = IdFilter(field_name="organisation_id", label=_("Organisation"))
    author = IdFilter(field_name="author_id", label=_("Author"))
    source = django_filters.CharFilter(
        field_name="source_number", label=_("Written from (a record number)")
    )

    class Meta:
        model = Article
        fields = ["q", "status", "audience", "service", "organisation", "author", "source"]

    def title_has(self, queryset, name, value):
        text = value.strip()[:100]
        return queryset.filter(title__icontains=text) if text else queryset
