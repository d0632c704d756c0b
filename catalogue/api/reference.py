"""Catalogue services in the reference API (`servicedesk.api.reference`)."""

from catalogue.models import Service
from servicedesk.api.reference import ReferenceSerializer, reference_viewset
from servicedesk.reference import ReferenceKind

CATALOGUE_KINDS = (ReferenceKind(key="service", model="catalogue.Service"),)


class ServiceReferenceSerializer(ReferenceSerializer):
    class Meta:
        model = Service
        fields = [
            "id", "name", "description", "kind", "status", "owner", "support_group",
            "is_active", "source", "external_id",
        ]  # fmt: skip


ServiceReferenceViewSet = reference_viewset("service", ServiceReferenceSerializer)
