"""The filter on a custom field's value, for any record type's FilterSet (the queue and the
API share it): `custom_field=<name>&custom_value=<value>`."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customfields import selectors
from servicedesk import registry


class CustomFieldFilterMixin(django_filters.FilterSet):
    """Add to a record type's FilterSet. A name the type has no field of, or a value the field
    cannot hold (text for a number), matches nothing."""

    custom_field = django_filters.CharFilter(method="_later", label=_("Custom field"))
    custom_value = django_filters.CharFilter(method="_later", label=_("Value"))

    def _later(self, queryset, name, value):
        return queryset  # both are applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        name = (self.form.cleaned_data.get("custom_field") or "").strip()
        value = self.form.cleaned_data.get("custom_value") or ""
        if not name or not value.strip():
            return queryset
        record_type = registry.for_model(queryset.model)
        field = selectors.field_named(record_type.key, name) if record_type else None
        if field is None:
            return queryset.none()
        return selectors.filter_by_value(queryset, field, value)
