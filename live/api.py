"""/api/v1/notifications/: the caller's in-app notifications (newest first, keyset pages) and
marking them read. Anyone else's notification is a 404; people outside the workspace get 403."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.roles import USE_WORKSPACE
from live import selectors, services
from live.models import Notification
from servicedesk.api.serializers import PersonRefSerializer, StrictInputMixin
from servicedesk.converters import ID_PATTERN


class NotificationSerializer(serializers.ModelSerializer):
    actor = PersonRefSerializer(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "number", "title", "url", "actor", "created_at",
                  "read_at"]  # fmt: skip
        read_only_fields = fields

    def get_url(self, row) -> str | None:
        return selectors.record_url(row.number)


class MarkReadSerializer(StrictInputMixin, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=500,
        help_text=_("The notifications to mark read."),
    )  # fmt: skip
    all = serializers.BooleanField(required=False, default=False, help_text=_("Every one."))

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError({"ids": [_("Give the ids, or all: true.")]})
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications",
        parameters=[OpenApiParameter("unread", bool, description="Unread ones only.")],
    ),
    retrieve=extend_schema(summary="One of your notifications"),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN
    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    query_parameters = ("unread",)
    ordering = ("-created_at", "-id")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm(USE_WORKSPACE):
            raise PermissionDenied(_("Notifications are for agents."))

    def get_queryset(self):
        rows = Notification.objects.filter(recipient=self.request.user).select_related("actor")
        value = self.request.query_params.get("unread")
        if value is not None:
            try:
                unread = serializers.BooleanField().to_internal_value(value)
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"unread": error.detail}) from error
            if unread:
                rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(summary="Mark read", request=MarkReadSerializer,
                   responses={200: {"type": "object", "properties": {
                       "marked": {"type": "integer"}, "unread": {"type": "integer"}}}})  # fmt: skip
    @action(detail=False, methods=["post"])
    def read(self, request):
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data.get("all") else data.validated_data["ids"]
        marked = services.notifications_mark_read(actor=request.user, ids=ids)
        selectors.unread_forget([request.user.pk])
        return Response({"marked": marked, "unread": selectors.unread_count(request.user)})
