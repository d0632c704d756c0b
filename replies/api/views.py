"""/api/v1/tags/: the tags of any record, named by its number (a record the caller may not see
is a 404, like a missing one), over `replies.services`."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from replies import selectors, services
from replies.models import TAG_MAX_LENGTH, TaggedRecord
from servicedesk.selectors import record_by_number


class RecordTagsSerializer(serializers.Serializer):
    record = serializers.CharField(max_length=30, help_text="The record's number.")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_MAX_LENGTH), min_length=1, max_length=20
    )


class TagRemoveSerializer(serializers.Serializer):
    record = serializers.CharField(max_length=30, help_text="The record's number.")
    tag = serializers.CharField(max_length=TAG_MAX_LENGTH)


class TagsOutSerializer(serializers.Serializer):
    record = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


def _record(user, number: str):
    try:
        return record_by_number(user=user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


def _strict(serializer_class, data):
    if hasattr(data, "keys"):
        unknown = sorted(set(data.keys()) - set(serializer_class().fields))
        if unknown:
            raise exceptions.ValidationError({name: [_("Unknown field.")] for name in unknown})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="The tags of one record",
        parameters=[OpenApiParameter("record", OpenApiTypes.STR, required=True)],
        responses={200: TagsOutSerializer},
    ),
    create=extend_schema(
        summary="Tag a record (staff)",
        request=RecordTagsSerializer,
        responses={201: TagsOutSerializer},
    ),
    remove=extend_schema(
        summary="Take a tag off a record (staff)",
        request=TagRemoveSerializer,
        responses={200: TagsOutSerializer},
    ),  # fmt: skip
)
class TagViewSet(viewsets.ViewSet):
    queryset = TaggedRecord.objects.none()
    filter_backends: list = []
    pagination_class = None

    def _answer(self, record, code=status.HTTP_200_OK):
        return Response(
            {"record": record.number, "tags": selectors.record_tags(record)}, status=code
        )

    def list(self, request):
        unknown = sorted(set(request.query_params) - {"record", "format"})
        if unknown:
            raise exceptions.ValidationError(
                {name: [_("Unknown query parameter. Known here: record.")] for name in unknown}
            )
        number = request.query_params.get("record", "")
        if not number:
            raise exceptions.ValidationError({"record": [_("Give the number of a record.")]})
        return self._answer(_record(request.user, number))

    def create(self, request):
        data = _strict(RecordTagsSerializer, request.data)
        record = _record(request.user, data["record"])
        services.tags_add(record=record, actor=request.user, names=data["tags"])
        return self._answer(record, status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"])
    def remove(self, request):
        data = _strict(TagRemoveSerializer, request.data)
        record = _record(request.user, data["record"])
        services.tag_remove(record=record, actor=request.user, name=data["tag"])
        return self._answer(record)
