"""The incidents' reference data in the reference API (`servicedesk.api.reference`):
categories and subcategories, priority levels, resolution codes; the impact and urgency scales
with the matrix over them (`scales/`: read, and replaced whole by an administrator); pending
reasons and channels (read-only: the workflow and the SLA clocks depend on them)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import priority_data
from incidents.choices import Channel, PendingReason
from incidents.levels import scales
from incidents.models import Category, PriorityLevel, ResolutionCodeOption
from incidents.priority import RULES, current_matrix
from servicedesk.api.reference import READ_PERMISSION, ReferenceSerializer, reference_viewset
from servicedesk.api.serializers import StrictInputMixin
from servicedesk.api.views import responses
from servicedesk.reference import ReferenceKind

INCIDENT_KINDS = (
    ReferenceKind(key="category", model="incidents.Category", parent_field="parent"),
    ReferenceKind(
        key="priority_level",
        model="incidents.PriorityLevel",
        name_fields=("name",),
        save="incidents.priority_data.priority_level_put",
    ),
    ReferenceKind(
        key="resolution_code",
        model="incidents.ResolutionCodeOption",
        name_fields=("code", "label"),
        save="incidents.priority_data.resolution_code_put",
        create_fields="incidents.api.reference.resolution_code_fields",
    ),
)


def resolution_code_fields(value: str) -> dict:
    """A resolution code an import names and nobody has yet: its code from its words."""
    code = "".join(c if c.isalnum() else "_" for c in value.lower()).strip("_")[:32]
    return {"code": code or "imported", "label": value[:120]}


class CategorySerializer(ReferenceSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent", "is_active", "source", "external_id"]


class PriorityLevelSerializer(ReferenceSerializer):
    class Meta:
        model = PriorityLevel
        fields = [
            "id", "level", "name", "description", "target_resolution_minutes",
            "source", "external_id",
        ]  # fmt: skip


class ResolutionCodeSerializer(ReferenceSerializer):
    class Meta:
        model = ResolutionCodeOption
        fields = [
            "id", "code", "label", "order", "is_active", "selectable", "source", "external_id",
        ]  # fmt: skip


CategoryViewSet = reference_viewset("category", CategorySerializer)
PriorityLevelViewSet = reference_viewset("priority_level", PriorityLevelSerializer)
ResolutionCodeViewSet = reference_viewset("resolution_code", ResolutionCodeSerializer)


class LevelSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=10)
    label = serializers.CharField(max_length=60)


class CellSerializer(serializers.Serializer):
    impact = serializers.CharField(max_length=10)
    urgency = serializers.CharField(max_length=10)
    priority = serializers.IntegerField(min_value=1, max_value=99)


class ScalesSerializer(StrictInputMixin, serializers.Serializer):
    """Both scales highest first, and either every cell or a rule computing them."""

    impacts = LevelSerializer(many=True)
    urgencies = LevelSerializer(many=True)
    cells = CellSerializer(many=True, required=False)
    rule = serializers.ChoiceField(
        choices=[(r, r) for r in RULES],
        required=False,
        help_text=_("min: min(impact, urgency); sum: min(cap, impact + urgency - 1), by rank."),
    )
    cap = serializers.IntegerField(min_value=1, max_value=99, required=False)


class RankedLevelSerializer(LevelSerializer):
    rank = serializers.IntegerField()


class ScalesAnswerSerializer(serializers.Serializer):
    impacts = RankedLevelSerializer(many=True)
    urgencies = RankedLevelSerializer(many=True)
    cells = CellSerializer(many=True)


class CodeLabelSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


def _scales_answer() -> dict:
    data = scales()
    return {
        "impacts": [{"code": c, "label": label, "rank": r} for c, label, r in data["impact"]],
        "urgencies": [{"code": c, "label": label, "rank": r} for c, label, r in data["urgency"]],
        "cells": [
            {"impact": i, "urgency": u, "priority": p}
            for (i, u), p in sorted(current_matrix().items())
        ],
    }


class ScalesView(APIView):
    """The impact and urgency scales and the priority matrix over them."""

    @extend_schema(
        summary="Impact and urgency scales and the priority matrix",
        responses=responses(ScalesAnswerSerializer, without=(400, 404, 409)),
    )
    def get(self, request):
        if not request.user.has_perm(READ_PERMISSION):
            raise exceptions.PermissionDenied("Reference data is for staff.")
        return Response(_scales_answer())

    @extend_schema(
        summary="Replace the scales and the matrix",
        request=ScalesSerializer,
        responses=responses(ScalesAnswerSerializer, without=(404,)),
    )
    def put(self, request):
        if not request.user.has_perm("incidents.change_prioritymatrixcell"):
            raise exceptions.PermissionDenied(str(PermissionDenied()))
        data = ScalesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        cells = values.get("cells")
        priority_data.priority_scale_set(
            impacts=[(row["code"], row["label"]) for row in values["impacts"]],
            urgencies=[(row["code"], row["label"]) for row in values["urgencies"]],
            cells=None
            if cells is None
            else {(c["impact"], c["urgency"]): c["priority"] for c in cells},
            rule=values.get("rule", ""),
            cap=values.get("cap", 0),
            actor=request.user,
        )
        return Response(_scales_answer())


class ChoiceListView(APIView):
    """A fixed list the workflow depends on: codes and labels."""

    choices: type = PendingReason

    @extend_schema(
        summary="Codes and labels",
        responses=responses(CodeLabelSerializer(many=True), without=(400, 404, 409)),
    )
    def get(self, request):
        if not request.user.has_perm(READ_PERMISSION):
            raise exceptions.PermissionDenied("Reference data is for staff.")
        return Response([{"code": c, "label": str(label)} for c, label in self.choices.choices])


PendingReasonsView = ChoiceListView.as_view(choices=PendingReason)
ChannelsView = ChoiceListView.as_view(choices=Channel)
