"""/api/v1/time-entries/: list (by record, agent, date) and log time on any record type.

A record is named by its number (INC…, REQ…, TSK…, PRB…, CHG…); one the caller may not see is a
404, like a missing one. Without `record`, an agent lists their own entries and a manager every
entry (`timekeeping.selectors.entries_visible_to`).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.serializers import StrictInputMixin
from servicedesk.selectors import record_by_number
from timekeeping import selectors, services
from timekeeping.filters import TimeEntryFilter
from timekeeping.models import MAX_MINUTES, TimeEntry


class TimeEntrySerializer(serializers.ModelSerializer):
    record = serializers.CharField(source="number", read_only=True)
    record_type = serializers.CharField(source="content_type.model", read_only=True)
    agent = serializers.SerializerMethodField()
    support_group = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "record",
            "record_type",
            "agent",
            "support_group",
            "minutes",
            "billable",
            "worked_on",
            "note",
            "comment",
            "created_at",
        ]
        read_only_fields = fields

    def get_agent(self, entry) -> dict:
        return {"id": entry.agent_id, "name": entry.agent.full_name or entry.agent.email}

    def get_support_group(self, entry) -> dict | None:
        group = entry.support_group
        return {"id": group.pk, "name": group.name} if group else None


class TimeEntryCreateSerializer(StrictInputMixin, serializers.Serializer):
    record = serializers.CharField(max_length=30, help_text="The record's number.")
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_MINUTES)
    billable = serializers.BooleanField(default=False)
    worked_on = serializers.DateField(required=False, help_text="Today when left out.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AgentTotalSerializer(serializers.Serializer):
    name = serializers.CharField()
    minutes = serializers.IntegerField()
    billable = serializers.IntegerField()


class TotalsSerializer(serializers.Serializer):
    record = serializers.CharField()
    total = serializers.IntegerField(help_text="Minutes.")
    billable = serializers.IntegerField(help_text="Billable minutes.")
    per_agent = AgentTotalSerializer(many=True)


def _record(user, number: str):
    try:
        return record_by_number(user=user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


@extend_schema_view(
    list=extend_schema(
        summary="Time entries, newest first",
        parameters=[
            OpenApiParameter(
                "record", OpenApiTypes.STR, description="Only this record's (its number)."
            )
        ],
    ),
    create=extend_schema(
        summary="Log time on a record (staff)",
        request=TimeEntryCreateSerializer,
        responses={201: TimeEntrySerializer},
    ),
)
class TimeEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilter
    query_parameters = ("record",)
    ordering = ("-worked_on", "-id")
    queryset = TimeEntry.objects.none()  # for the schema: reads go through the selectors

    def get_queryset(self):
        user = self.request.user
        if not selectors.is_staff(user):
            raise exceptions.PermissionDenied(_("Only service desk staff can see time."))
        number = self.request.query_params.get("record", "")
        if number:
            return selectors.record_entries(_record(user, number))
        return selectors.entries_visible_to(user)

    @extend_schema(
        summary="A record's time: total and billable minutes, and each agent's",
        parameters=[
            OpenApiParameter("record", OpenApiTypes.STR, required=True, description="Its number.")
        ],
        responses={200: TotalsSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def totals(self, request):
        if not selectors.is_staff(request.user):
            raise exceptions.PermissionDenied(_("Only service desk staff can see time."))
        unknown = sorted(set(request.query_params) - {"record", "format"})
        if unknown:
            raise exceptions.ValidationError(
                {name: [_("Unknown query parameter. Known here: record.")] for name in unknown}
            )
        number = request.query_params.get("record", "")
        if not number:
            raise exceptions.ValidationError({"record": [_("Give the number of a record.")]})
        record = _record(request.user, number)
        return Response(
            TotalsSerializer({"record": record.number, **selectors.record_totals(record)}).data
        )

    def create(self, request):
        serializer = TimeEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = _record(request.user, data["record"])
        entry = services.time_entry_add(
            record=record,
            actor=request.user,
            minutes=data["minutes"],
            billable=data["billable"],
            worked_on=data.get("worked_on"),
            note=data["note"],
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
