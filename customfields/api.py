"""`custom_fields` in a record type's API: read in its detail and list (a page's values in one
query), written on create and update (checked by customfields.services, a 400 naming
"custom_fields.<name>")."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customfields import selectors
from servicedesk import registry

CONTEXT_KEY = "custom_field_rows"


@extend_schema_field(OpenApiTypes.OBJECT)
class CustomFieldsOut(serializers.Field):
    """{name: value} of the record's custom fields (a number as a string, a date in ISO form,
    a person or CI by id, a checkbox as a boolean, null when empty)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, record):
        fields = selectors.fields_of_record(record)
        if not fields:
            return {}
        loaded = self.context.get(CONTEXT_KEY) if self.context else None
        rows = loaded.get(record.pk, {}) if loaded is not None else None
        return selectors.as_data(record, fields, rows)


@extend_schema_field(OpenApiTypes.OBJECT)
class CustomFieldsIn(serializers.JSONField):
    """{name: value}; the services check each against its definition."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Give the custom fields as an object.")
        return data


class CustomFieldsListSerializer(serializers.ListSerializer):
    """A list of records whose rows show `custom_fields`: the page's values in one query (none
    when the type has no custom fields)."""

    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        if rows:
            record_type = registry.for_model(rows[0])
            fields = selectors.definitions(record_type.key) if record_type else []
            self.context[CONTEXT_KEY] = selectors.values_for_rows(
                type(rows[0]), [r.pk for r in rows], fields
            )
        return super().to_representation(rows)
