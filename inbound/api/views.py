from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAdminUser

from inbound.api.serializers import MailboxInputSerializer, MailboxSerializer
from inbound.models import Mailbox


class MailboxViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """/api/v1/mailboxes/: administrators (staff) configure mailboxes; the secret is
    write-only and never returned."""

    permission_classes = [IsAdminUser]
    queryset = Mailbox.objects.order_by("name")
    serializer_class = MailboxSerializer
    pagination_class = None

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return MailboxInputSerializer
        return MailboxSerializer

    @extend_schema(request=MailboxInputSerializer, responses={201: MailboxSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = serializer.validated_data.save()

    def perform_update(self, serializer):
        serializer.instance = serializer.validated_data.save()
