"""/api/v1/custom-fields/: the custom fields of any record type, through the registry.

    GET   /api/v1/custom-fields/?record_type=problem     the type's active fields (their schema)
    GET   /api/v1/custom-fields/{number}/                a record's fields and values
    PATCH /api/v1/custom-fields/{number}/ {"values": {name: value}}

A record the caller may not see is a 404, like a missing one; a bad value is a 400 naming
`custom_fields.<name>`, with nothing saved; writing needs the record type's work permission.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from customfields import selectors, services
from customfields.models import CustomField
from servicedesk import registry
from servicedesk.fieldtypes import FieldType
from servicedesk.selectors import record_by_number


def schema(field: CustomField) -> dict:
    entry = {
        "name": field.name,
        "label": field.display_label,
        "type": field.field_type,
        "required": field.required,
        "help_text": field.help_text,
        "category": field.category,
    }
    if field.field_type == FieldType.CHOICE:
        entry["choices"] = field.choice_list
    if field.field_type == FieldType.NUMBER:
        entry["min"] = None if field.min_value is None else str(field.min_value)
        entry["max"] = None if field.max_value is None else str(field.max_value)
    if field.field_type == FieldType.TEXT:
        entry["max_length"] = field.max_length
        entry["pattern"] = field.pattern
    return entry


class ValuesInSerializer(serializers.Serializer):
    values = serializers.DictField(help_text="{name: value}; the fields not named are kept.")


class RecordFieldsSerializer(serializers.Serializer):
    number = serializers.CharField()
    record_type = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField())
    values = serializers.DictField()


def _record(user, number: str):
    try:
        return record_by_number(user=user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


def _staff(user, record_type) -> bool:
    permission = record_type.view_permission or record_type.work_permission
    return bool(permission and user.has_perm(permission))


@extend_schema_view(
    list=extend_schema(
        operation_id="v1_custom_fields_list",
        summary="The custom fields of a record type",
        parameters=[OpenApiParameter("record_type", OpenApiTypes.STR, required=True)],
        responses={200: OpenApiTypes.OBJECT},
    ),
    retrieve=extend_schema(
        summary="A record's custom fields and values", responses={200: RecordFieldsSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a record's custom values (staff)",
        request=ValuesInSerializer,
        responses={200: RecordFieldsSerializer},
    ),
)
class CustomFieldsViewSet(viewsets.ViewSet):
    queryset = CustomField.objects.none()  # for the schema
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z]+[0-9]+"
    filter_backends: list = []
    pagination_class = None

    def list(self, request):
        unknown = sorted(set(request.query_params) - {"record_type", "format"})
        if unknown:
            raise exceptions.ValidationError(
                {name: [_("Unknown query parameter. Known here: record_type.")] for name in unknown}
            )
        key = request.query_params.get("record_type", "")
        try:
            record_type = registry.get(key)
        except KeyError:
            raise exceptions.ValidationError({"record_type": [_("No such record type.")]}) from None
        if not _staff(request.user, record_type):
            raise exceptions.PermissionDenied(_("Only service desk staff can do this."))
        return Response([schema(f) for f in selectors.definitions(record_type.key)])

    def retrieve(self, request, number=None):
        record = _record(request.user, number or "")
        record_type = registry.for_model(record)
        if record_type is None or not _staff(request.user, record_type):
            raise Http404(_("No record with this number."))
        return Response(self._answer(record, record_type))

    def partial_update(self, request, number=None):
        record = _record(request.user, number or "")
        record_type = registry.for_model(record)
        if record_type is None or not _staff(request.user, record_type):
            raise Http404(_("No record with this number."))
        body = ValuesInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.values_update(
                record=record, actor=request.user, data=body.validated_data["values"]
            )
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        return Response(self._answer(record, record_type))

    @staticmethod
    def _answer(record, record_type) -> dict:
        fields = selectors.fields_of_record(record)
        return {
            "number": record.number,
            "record_type": record_type.key,
            "fields": [schema(f) for f in fields],
            "values": selectors.as_data(record, fields),
        }
