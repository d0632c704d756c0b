"""/api/v1/approvals/: the caller's approvals over every record type, and their decisions, over
`servicedesk.approvals.services.approval_decide` and `servicedesk.approvals.selectors`.

Only one's own approvals are listed or found: anyone else's is a 404.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk import registry
from servicedesk.api.serializers import PersonRefSerializer, StrictInputMixin
from servicedesk.approvals import services
from servicedesk.approvals.selectors import approval_get, approvals_of, approvals_waiting_for
from servicedesk.converters import ID_PATTERN
from servicedesk.models import Approval, ApprovalRule

_RECORD_REF = {
    "type": "object",
    "properties": {"number": {"type": "string"}, "title": {"type": "string"}},
}


class ApprovalSerializer(serializers.ModelSerializer):
    """One approval: its record (by number; `request` is the same, for requests' clients),
    the approver, the decision, and the rule and quorum of its set."""

    approver = PersonRefSerializer(read_only=True)
    request = serializers.SerializerMethodField()
    record = serializers.SerializerMethodField()
    rule = serializers.ChoiceField(
        source="approval_set.rule", choices=ApprovalRule.choices, read_only=True
    )
    quorum = serializers.IntegerField(
        source="approval_set.quorum", read_only=True, help_text=_("Approvals that decide it.")
    )

    class Meta:
        model = Approval
        fields = [
            "id", "request", "record", "approver", "decision", "decided_at", "comment",
            "via_link", "rule", "quorum",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(_RECORD_REF)
    def get_request(self, approval):
        record = approval.record
        return {"number": record.number, "title": record.title}

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "type": {"type": "string", "description": "The record type's key: request…"},
                "number": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "string"},
            },
        }
    )
    def get_record(self, approval):
        record = approval.record
        record_type = registry.for_model(record)
        return {
            "type": record_type.key if record_type is not None else "",
            "number": record.number,
            "title": record.title,
            "status": record.status,
        }


class DecisionSerializer(StrictInputMixin, serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Needed to reject.")
    )


@extend_schema_view(
    list=extend_schema(
        summary="Your approvals",
        parameters=[OpenApiParameter("all", bool, description="Also those already decided.")],
    ),
    retrieve=extend_schema(summary="One of your approvals"),
)
class ApprovalViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    queryset = Approval.objects.none()
    serializer_class = ApprovalSerializer
    query_parameters = ("all",)

    @property
    def ordering(self) -> tuple[str, ...]:
        """Those waiting oldest first; with `all`, the newest first (keyset pages)."""
        newest = getattr(self, "request", None) is not None and self._all()
        return ("-created_at", "-id") if newest else ("created_at", "id")

    def get_queryset(self):
        if self.action == "list" and not self._all():
            return approvals_waiting_for(self.request.user)
        return approvals_of(self.request.user)

    def _all(self) -> bool:
        value = self.request.query_params.get("all")
        if value is None:
            return False
        try:
            return serializers.BooleanField().to_internal_value(value)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"all": error.detail}) from error

    def _decide(self, approve: bool):
        approval = self.get_object()
        data = DecisionSerializer(data=self.request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        services.approval_decide(
            approval_id=approval.pk,
            actor=self.request.user,
            approve=approve,
            comment=data.validated_data["comment"],
        )
        return Response(
            ApprovalSerializer(approval_get(user=self.request.user, pk=approval.pk)).data
        )

    @extend_schema(summary="Approve", request=DecisionSerializer, responses=ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(True)

    @extend_schema(summary="Reject (with a reason)", request=DecisionSerializer,
                   responses=ApprovalSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(False)
