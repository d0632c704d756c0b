"""/api/v1/links/: the typed links between any two records, over `servicedesk.services`
(`record_link_add`/`record_link_remove`) and `servicedesk.selectors.record_links`.

A record is named by its number, whatever its type (the prefix says which). A record the caller
may not see is a 404, like a missing one; so is a link to or from such a record.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response

from servicedesk import services
from servicedesk.models import LinkKind, RecordLink
from servicedesk.selectors import (
    LinkedRecord,
    link_label,
    record_at,
    record_by_number,
    record_is_visible,
    record_links,
)


class LinkedRecordSerializer(serializers.Serializer):
    """One link read from the record asked about: its label from that side, the other record."""

    id = serializers.IntegerField(source="link.pk")
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    # A declared field of this name is the output's `label` (the metaclass takes it out of the
    # class), not the `Field.label` attribute the stubs see.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The link read from this record: “has duplicate”."
    )
    direction = serializers.SerializerMethodField()
    number = serializers.CharField(source="other.number")
    title = serializers.CharField(source="other.title")
    status = serializers.CharField(source="other.status")
    created_at = serializers.DateTimeField(source="link.created_at")

    def get_direction(self, entry: LinkedRecord) -> str:
        """`outgoing` when this record is the link's source, `incoming` when it is the target."""
        return "outgoing" if entry.outgoing else "incoming"


class RecordLinkCreateSerializer(serializers.Serializer):
    # The input's `source` (see LinkedRecordSerializer.label), not `Field.source`.
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=30, help_text="The number of the record it is from."
    )
    target = serializers.CharField(max_length=30, help_text="The number of the other record.")
    kind = serializers.ChoiceField(
        choices=LinkKind.choices, help_text="Read from the source: source duplicate_of target."
    )


def _record(user, number: str):
    try:
        return record_by_number(user=user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


RECORD_PARAMETER = OpenApiParameter(
    "record",
    OpenApiTypes.STR,
    required=True,
    description="The number of the record whose links are listed (INC…, REQ…, TSK…).",
)


@extend_schema_view(
    list=extend_schema(
        summary="The links of one record, both directions, oldest first",
        description="Only links to records you may see are listed.",
        parameters=[RECORD_PARAMETER],
        responses={200: LinkedRecordSerializer(many=True)},
    ),
    create=extend_schema(
        summary="Link two records (staff)",
        description="A second identical link, or its reverse, is a 409.",
        request=RecordLinkCreateSerializer,
        responses={201: LinkedRecordSerializer},
    ),
    destroy=extend_schema(summary="Remove a link (staff)", responses={204: None}),
)
class RecordLinkViewSet(viewsets.ViewSet):
    """Links between records: list a record's, add one, remove one."""

    queryset = RecordLink.objects.none()  # for the schema: reads go through the selectors
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []
    pagination_class = None

    def list(self, request):
        unknown = sorted(set(request.query_params) - {"record", "format"})
        if unknown:
            raise exceptions.ValidationError(
                {name: [_("Unknown query parameter. Known here: record.")] for name in unknown}
            )
        number = request.query_params.get("record", "")
        if not number:
            raise exceptions.ValidationError({"record": [_("Give the number of a record.")]})
        record = _record(request.user, number)
        entries = record_links(record=record, user=request.user)
        return Response(LinkedRecordSerializer(entries, many=True).data)

    def create(self, request):
        serializer = RecordLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        source = _record(request.user, data["source"])
        target = _record(request.user, data["target"])
        link = services.record_link_add(
            source=source, target=target, kind=data["kind"], actor=request.user
        )
        entry = LinkedRecord(
            link, link.kind, link_label(link.kind, reverse=False), target, outgoing=True
        )
        return Response(LinkedRecordSerializer(entry).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        link = RecordLink.objects.filter(pk=pk).first() if str(pk).isdigit() else None
        if link is None or not self._sees_both(request.user, link):
            raise Http404(_("No such link."))
        services.record_link_remove(link_id=link.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _sees_both(user, link: RecordLink) -> bool:
        for type_id, object_id in (
            (link.source_type_id, link.source_id),
            (link.target_type_id, link.target_id),
        ):
            record = record_at(type_id, object_id)
            if record is None or not record_is_visible(user=user, record=record):
                return False
        return True
