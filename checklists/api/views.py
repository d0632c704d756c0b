"""The checklists API: a record's checklists, and ticking an item (thin views over
`checklists.selectors` and `checklists.services`). A record one may not see is a 400 on
`record` for the list and a 404 for an item."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from checklists import services
from checklists.models import ChecklistItem
from checklists.selectors import record_checklists
from servicedesk import services as kernel
from servicedesk.api.serializers import PersonRefSerializer, StrictInputMixin
from servicedesk.api.views import validated
from servicedesk.selectors import record_by_number, record_is_visible


class ChecklistItemSerializer(serializers.ModelSerializer):
    done_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ChecklistItem
        fields = ["id", "title", "required", "order", "done_at", "done_by"]
        read_only_fields = fields


class ChecklistSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="checklist.id")
    name = serializers.CharField(source="checklist.name")
    template = serializers.IntegerField(source="checklist.template_id", allow_null=True)
    items = ChecklistItemSerializer(many=True)


class TickSerializer(StrictInputMixin, serializers.Serializer):
    done = serializers.BooleanField(default=True)


class ChecklistViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    queryset = ChecklistItem.objects.none()
    serializer_class = ChecklistItemSerializer
    pagination_class = None  # the checklists of one record: bounded by the record
    query_parameters = ("record",)

    def _record(self, number: str):
        try:
            record = record_by_number(user=self.request.user, number=number)
        except ObjectDoesNotExist:
            raise serializers.ValidationError({"record": ["No record with this number."]}) from None
        return record

    @extend_schema(
        summary="A record's checklists (staff)",
        parameters=[OpenApiParameter("record", str, required=True, description="INC0000042")],
        responses=ChecklistSerializer(many=True),
    )
    def list(self, request):
        number = request.query_params.get("record", "")
        if not number:
            raise serializers.ValidationError({"record": ["Name the record by its number."]})
        record = self._record(number)
        kernel.ensure_can_work(request.user, model=type(record))
        return Response(ChecklistSerializer(record_checklists(record), many=True).data)

    @extend_schema(
        summary="Tick (or untick) a checklist item",
        request=TickSerializer,
        responses=ChecklistItemSerializer,
    )
    @action(detail=False, methods=["post"], url_path=r"items/(?P<item_id>[0-9]+)/tick")
    def tick(self, request, item_id=None):
        item = ChecklistItem.objects.filter(pk=item_id).select_related("checklist").first()
        model = (
            item and ContentType.objects.get_for_id(item.checklist.content_type_id).model_class()
        )
        record = model and model._default_manager.filter(pk=item.checklist.object_id).first()
        if record is None or not record_is_visible(user=request.user, record=record):
            raise NotFound()
        data = validated(self, TickSerializer)
        ticked = services.checklist_item_tick(item_id=item.pk, actor=request.user, **data)
        return Response(ChecklistItemSerializer(ticked).data)
