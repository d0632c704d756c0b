"""/api/v1/events/ (agents: list, read, acknowledge, open an incident) and
/api/v1/webhooks/ (administrators: subscriptions and their delivery log)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from events import selectors, services
from events.api.serializers import (
    EventSerializer,
    WebhookDeliverySerializer,
    WebhookSubscriptionSerializer,
)
from events.filters import EventFilter
from events.models import WebhookSubscription
from events.services import webhooks
from servicedesk.api.views import ERRORS


class CanViewEvents(permissions.BasePermission):
    message = "Only service desk staff see events."

    def has_permission(self, request, view):
        return selectors.can_view(request.user)


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Events newest first (keyset cursor), filtered as the console filters them."""

    serializer_class = EventSerializer
    permission_classes = [permissions.IsAuthenticated, CanViewEvents]
    filterset_class = EventFilter
    ordering = ("-last_seen_at", "-id")

    def get_queryset(self):
        return selectors.events_visible_to(self.request.user)

    @extend_schema(request=None, responses={200: EventSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        event = self.get_object()
        event = services.event_acknowledge(event_id=event.pk, actor=request.user)
        return Response(EventSerializer(event).data)

    @extend_schema(request=None, responses={200: EventSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def incident(self, request, pk=None):
        event = self.get_object()
        services.event_open_incident(event_id=event.pk, actor=request.user)
        return Response(EventSerializer(self.get_queryset().get(pk=event.pk)).data)


class WebhookSubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Outgoing webhook subscriptions (administrators); `deliveries/` is the log."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [permissions.IsAdminUser]
    queryset = WebhookSubscription.objects.order_by("name")
    pagination_class = None

    def perform_create(self, serializer):
        subscription = WebhookSubscription(**serializer.validated_data)
        serializer.instance = webhooks.subscription_save(actor=self.request.user,
                                                         subscription=subscription)  # fmt: skip

    def perform_update(self, serializer):
        subscription = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(subscription, name, value)
        serializer.instance = webhooks.subscription_save(actor=self.request.user,
                                                         subscription=subscription)  # fmt: skip

    def perform_destroy(self, instance):
        instance.delete()
        webhooks.subscriptions_changed()

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None)
    def deliveries(self, request, pk=None):
        rows = self.get_object().deliveries.order_by("-created_at", "-id")[:100]
        return Response(WebhookDeliverySerializer(rows, many=True).data)
