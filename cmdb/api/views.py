"""The CMDB API: /api/v1/cmdb/cis/, /relationships/ and /cis/{id}/impact/. Everyone with the
CMDB read permission (agents and up) reads; configuration managers write, through cmdb.services.
Errors use the house shape {"detail": ..., "errors": {field: [...]}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cmdb import selectors, services
from cmdb.api import serializers as api
from cmdb.filters import ConfigurationItemFilter, RelationshipFilter
from cmdb.models import ConfigurationItem, ImpactProposal, Relationship
from servicedesk.converters import ID_PATTERN


class CmdbPermission(permissions.BasePermission):
    """Read with the CMDB view permission; write as a configuration manager."""

    def has_permission(self, request, view):
        if not selectors.can_view(request.user):
            return False
        return request.method in permissions.SAFE_METHODS or selectors.can_edit(request.user)


def _call(function, **kwargs):
    try:
        return function(**kwargs)
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from None


class ConfigurationItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    serializer_class = api.ConfigurationItemSerializer
    permission_classes = [CmdbPermission]
    filterset_class = ConfigurationItemFilter
    ordering = ("name",)

    def get_queryset(self):
        return selectors.ci_list(user=self.request.user).select_related("support_group")

    @extend_schema(request=api.ConfigurationItemInputSerializer)
    def create(self, request, *args, **kwargs):
        data = api.ConfigurationItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("version", None)
        ci = _call(services.ci_create, actor=request.user, **fields)
        return Response(self.get_serializer(ci).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=api.ConfigurationItemInputSerializer)
    def update(self, request, *args, **kwargs):
        ci = self.get_object()
        partial = kwargs.get("partial", False)
        data = api.ConfigurationItemInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = changes.pop("version", None)
        ci = _call(services.ci_update, ci_id=ci.pk, actor=request.user, changes=changes,
                   version=version)  # fmt: skip
        return Response(self.get_serializer(selectors.ci_get(user=request.user, pk=ci.pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("direction", str), OpenApiParameter("depth", int)],
        responses={200: dict},
    )
    @action(detail=True, methods=["get"])
    def impact(self, request, pk=None):
        """Downstream (what breaks) or upstream (what it needs) of a CI, to a depth (1-10)."""
        ci = self.get_object()
        query = api.ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        impact = selectors.impact_of(ci=ci, **query.validated_data)
        return Response(selectors.impact_as_json(impact))


class RelationshipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    serializer_class = api.RelationshipSerializer
    permission_classes = [CmdbPermission]
    filterset_class = RelationshipFilter
    ordering = ("-id",)

    def get_queryset(self):
        if not selectors.can_view(self.request.user):
            return Relationship.objects.none()
        return Relationship.objects.select_related("source", "target")

    @extend_schema(request=api.RelationshipInputSerializer)
    def create(self, request, *args, **kwargs):
        data = api.RelationshipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        relationship = _call(services.relationship_add, actor=request.user, **data.validated_data)
        return Response(self.get_serializer(relationship).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        relationship = self.get_object()
        _call(services.relationship_remove, actor=request.user, relationship_id=relationship.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = ["ConfigurationItemViewSet", "RelationshipViewSet", "ConfigurationItem"]


class ImpactProposalSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactProposal
        fields = ["incident", "configuration_item", "status", "proposed_impact", "service_count",
                  "max_criticality", "organisation_count", "services", "computed_at",
                  "decided_impact", "decided_by", "decided_at"]  # fmt: skip


class ImpactDecisionSerializer(serializers.Serializer):
    impact = serializers.CharField(
        max_length=10, required=False, help_text="A code of the impact scale (GET /api/v1/scales/)."
    )
    version = serializers.IntegerField(required=False)


class ImpactProposalViewSet(viewsets.GenericViewSet):
    """The impact proposed for an incident from its CI (`/api/v1/cmdb/impact-proposals/{incident
    id}/`); `decide/` accepts it (no impact) or overrides it (an impact)."""

    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404

    serializer_class = ImpactProposalSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "incident_id"

    def get_queryset(self):
        if not self.request.user.has_perm("accounts.use_agent_workspace"):
            return ImpactProposal.objects.none()
        return selectors.proposals_visible_to(self.request.user)

    def retrieve(self, request, incident_id=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=ImpactDecisionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, incident_id=None):
        proposal = self.get_object()
        data = ImpactDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = _call(
            services.impact_proposal_decide,
            incident_id=proposal.incident_id,
            actor=request.user,
            impact=data.validated_data.get("impact"),
            version=data.validated_data.get("version"),
        )
        return Response(self.get_serializer(decided).data)
