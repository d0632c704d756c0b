"""What the problems API reads and writes. Output serializers shape rows the view loaded;
input serializers check shapes; the services check the rules."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import SupportGroup, User
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from incidents.choices import Impact, Urgency
from incidents.models import Category
from problems.choices import ProblemStatus, RcaMethod
from problems.models import Problem
from problems.workflow import PROBLEM_WORKFLOW
from servicedesk.api.serializers import (
    NamedRefSerializer,
    PersonRefSerializer,
    StrictInputMixin,
    TransitionNoteSerializer,
    VersionedActionSerializer,
    VersionedUpdateSerializer,
)
from sla.api.serializers import SlaTimerSerializer
from sla.selectors import timers_of


class ProblemListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    support_group = NamedRefSerializer(read_only=True, allow_null=True)
    service = NamedRefSerializer(read_only=True, allow_null=True)
    configuration_item = NamedRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Problem
        fields = [
            "id", "number", "title", "status", "status_display", "priority", "impact",
            "urgency", "support_group", "assignee", "service", "configuration_item",
            "known_error_at", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ProblemDetailSerializer(ProblemListSerializer):
    requester = PersonRefSerializer(read_only=True)
    category = NamedRefSerializer(read_only=True, allow_null=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text=_("The statuses the workflow allows next (the service still checks guards).")
    )
    sla_timers = serializers.SerializerMethodField()

    class Meta(ProblemListSerializer.Meta):
        fields = [
            *ProblemListSerializer.Meta.fields, "requester", "description", "category",
            "symptoms", "root_cause", "workaround", "rca_method", "rca_data", "resolution",
            "root_cause_at", "resolved_at", "closed_at", "allowed_transitions", "sla_timers",
        ]  # fmt: skip
        read_only_fields = fields

    def get_allowed_transitions(self, problem) -> list[str]:
        return PROBLEM_WORKFLOW.allowed_targets(problem.status)

    @extend_schema_field(SlaTimerSerializer(many=True))
    def get_sla_timers(self, problem) -> list[dict]:
        return SlaTimerSerializer(timers_of(problem), many=True).data


def _ref(queryset, **kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=queryset, **kwargs)


class ProblemFieldsSerializer(StrictInputMixin, serializers.Serializer):
    """The problem's facts and analysis, all optional here."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    category = _ref(Category.objects.all(), required=False, allow_null=True)
    service = _ref(Service.objects.filter(is_active=True), required=False, allow_null=True)
    configuration_item = _ref(
        ConfigurationItem.objects.filter(is_active=True), required=False, allow_null=True
    )
    symptoms = serializers.CharField(required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    workaround = serializers.CharField(required=False, allow_blank=True)
    rca_method = serializers.ChoiceField(
        choices=RcaMethod.choices, required=False, allow_blank=True
    )
    rca_data = serializers.JSONField(
        required=False,
        help_text=_(
            '{"five_whys": [up to 5 answers], "fishbone": {"people": "...", ...}, '
            '"timeline": [{"at": "2026-12-01T09:00", "event": "..."}]}'
        ),
    )


class ProblemCreateSerializer(ProblemFieldsSerializer):
    """A new problem; `incidents` (numbers) are linked as caused by it."""

    support_group = _ref(
        SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee = _ref(User.objects.filter(is_active=True), required=False, allow_null=True)
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list,
        help_text=_("Numbers of the incidents the problem causes (INC…)."),
    )  # fmt: skip


class ProblemUpdateSerializer(VersionedUpdateSerializer, ProblemFieldsSerializer):
    """Changed facts or analysis plus the version they were made on."""


class AssignSerializer(VersionedActionSerializer):
    support_group = _ref(SupportGroup.objects.filter(is_active=True))
    assignee = _ref(User.objects.filter(is_active=True), required=False, allow_null=True)


class ProblemTransitionSerializer(TransitionNoteSerializer):
    target = serializers.ChoiceField(choices=ProblemStatus.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text=_("Resolving without a change that fixes it: why."),
    )  # fmt: skip
    resolve_incidents = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Resolving: resolve the open linked incidents too (each requester is told)."),
    )  # fmt: skip


class IncidentNumbersSerializer(StrictInputMixin, serializers.Serializer):
    incidents = serializers.ListField(child=serializers.CharField(max_length=30), min_length=1)


class IncidentNumberSerializer(StrictInputMixin, serializers.Serializer):
    incident = serializers.CharField(max_length=30)


class LinkedIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    requester = PersonRefSerializer()
