"""/api/v1/followsun/chains/: follow-the-sun chains with their desks (staff read; writing needs
the chain permissions, administrators have them), written through `followsun.services`; and
/api/v1/followsun/handovers/ (staff read)."""

from rest_framework import permissions, serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import SupportGroup
from followsun import services
from followsun.models import Chain, Desk, Handover, HandoverItem
from servicedesk import registry
from servicedesk.api.serializers import StrictInputMixin
from servicedesk.converters import ID_PATTERN
from sla.api.views import DefinitionPermission, StaffOnly
from sla.models import Calendar


class DeskSerializer(serializers.ModelSerializer):
    support_group_name = serializers.CharField(source="support_group.name", read_only=True)
    time_zone = serializers.CharField(source="calendar.time_zone", read_only=True)

    class Meta:
        model = Desk
        fields = ["id", "position", "support_group", "support_group_name", "calendar",
                  "time_zone"]  # fmt: skip
        read_only_fields = fields


class ChainSerializer(serializers.ModelSerializer):
    desks = DeskSerializer(many=True, read_only=True)

    class Meta:
        model = Chain
        fields = ["id", "name", "record_types", "priorities", "takes_unrouted", "is_active",
                  "version", "desks", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class DeskInputSerializer(StrictInputMixin, serializers.Serializer):
    support_group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all())
    calendar = serializers.PrimaryKeyRelatedField(queryset=Calendar.objects.all())


class ChainInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    record_types = serializers.ListField(
        child=serializers.ChoiceField(choices=[]), allow_empty=False
    )
    priorities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False, default=list
    )
    takes_unrouted = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)
    version = serializers.IntegerField(required=False, min_value=1)
    desks = DeskInputSerializer(many=True, help_text="The desks in the chain's order.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keys = [(record_type.key, record_type.key) for record_type in registry.all_types()]
        self.fields["record_types"].child.choices = keys


class HandoverItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverItem
        fields = ["number", "title", "status", "priority", "previous_assignee"]
        read_only_fields = fields


class HandoverSerializer(serializers.ModelSerializer):
    items = HandoverItemSerializer(many=True, read_only=True)

    class Meta:
        model = Handover
        fields = ["id", "desk", "closed_at", "to_desk", "records", "summary", "items"]
        read_only_fields = fields


class ChainViewSet(viewsets.ModelViewSet):
    """Chains with their desks; create and update take the whole chain (`desks` in order)."""

    lookup_value_regex = ID_PATTERN
    permission_classes = [permissions.IsAuthenticated, DefinitionPermission]
    serializer_class = ChainSerializer
    ordering = ("name", "id")
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        return Chain.objects.prefetch_related("desks__support_group", "desks__calendar")

    def _input(self) -> dict:
        serializer = ChainInputSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["desks"] = [(d["support_group"], d["calendar"]) for d in data["desks"]]
        return data

    def create(self, request, *args, **kwargs):
        data = self._input()
        data.pop("version", None)
        is_active = data.pop("is_active")
        chain = services.chain_create(actor=request.user, **data)
        if not is_active:
            chain = services.chain_update(
                chain_id=chain.pk, actor=request.user, is_active=False, **data
            )
        return self._answer(chain, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        chain = self.get_object()
        chain = services.chain_update(chain_id=chain.pk, actor=request.user, **self._input())
        return self._answer(chain, status.HTTP_200_OK)

    def _answer(self, chain: Chain, code: int) -> Response:
        return Response(ChainSerializer(self.get_queryset().get(pk=chain.pk)).data, status=code)


class HandoverViewSet(viewsets.ReadOnlyModelViewSet):
    """The handovers, newest closing first."""

    lookup_value_regex = ID_PATTERN
    permission_classes = [permissions.IsAuthenticated, StaffOnly]
    serializer_class = HandoverSerializer
    ordering = ("-closed_at", "-id")
    queryset = Handover.objects.prefetch_related("items")
