"""What the incidents API reads and writes.

Output serializers only shape rows the view has already loaded (with `select_related`): they
never query and never filter for visibility (`incidents_visible_to` and `record_timeline` do).
Input serializers check the shape of a request; the services check the rules (category tree,
group membership, workflow, permissions) and answer with field errors of their own.
"""

from functools import cache

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation, SupportGroup, User
from catalogue.models import Service
from cmdb.models import ConfigurationItem
from customfields.api import CustomFieldsIn, CustomFieldsListSerializer, CustomFieldsOut
from incidents.choices import (
    Channel,
    IncidentStatus,
    PendingReason,
)
from incidents.levels import level_codes, resolution_choices
from incidents.models import Category, Incident
from incidents.priority import priority_levels
from incidents.selectors import category_get, incidents_visible_to
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk.api.serializers import (  # noqa: F401 (shared by every record type's API)
    ApiErrorSerializer,  # noqa: F401 (re-exported)
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CommentAttachmentSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    NamedRefSerializer,
    PersonRefSerializer,
    StrictInputMixin,
    TimelineEntrySerializer,
    TimelineEventSerializer,
    TransitionNoteSerializer,
    VersionedActionSerializer,
    VersionedUpdateSerializer,
)
from sla.api.serializers import SlaTimerSerializer
from sla.selectors import timers_of

# --- References to related objects: an id and a name, nothing heavy -------------------------


class IncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


# --- Incidents out ------------------------------------------------------------------------------


class IncidentListSerializer(serializers.ModelSerializer):
    """A queue row. The view loads exactly these columns (see `LIST_COLUMNS` in incidents/selectors.py)."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    priority_name = serializers.SerializerMethodField()
    requester = PersonRefSerializer(read_only=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    support_group = NamedRefSerializer(read_only=True, allow_null=True)
    category = NamedRefSerializer(read_only=True, allow_null=True)
    subcategory = NamedRefSerializer(read_only=True, allow_null=True)
    custom_fields = CustomFieldsOut()

    class Meta:
        model = Incident
        list_serializer_class = CustomFieldsListSerializer
        fields = [
            "id",
            "number",
            "title",
            "status",
            "status_display",
            "priority",
            "priority_name",
            "impact",
            "urgency",
            "major_incident",
            "channel",
            "requester",
            "assignee",
            "support_group",
            "category",
            "subcategory",
            "created_at",
            "updated_at",
            "version",
            "custom_fields",
        ]
        read_only_fields = fields

    def get_priority_name(self, incident) -> str:
        # The levels come from the cache once per response, not once per row.
        levels = self.context.get("priority_levels")
        if levels is None:
            levels = self.context["priority_levels"] = priority_levels()
        return levels.get(incident.priority, {}).get("name", "")


class IncidentDetailSerializer(IncidentListSerializer):
    """The whole record, with its version (send it back when editing) and the next statuses."""

    organisation = NamedRefSerializer(read_only=True, allow_null=True)
    service = NamedRefSerializer(read_only=True, allow_null=True)
    configuration_item = NamedRefSerializer(read_only=True, allow_null=True)
    parent = IncidentRefSerializer(read_only=True, allow_null=True)
    # Empty until the incident waits or is resolved: "" is part of each enum in the schema.
    pending_reason = serializers.ChoiceField(
        choices=PendingReason.choices, allow_blank=True, read_only=True
    )
    resolution_code = serializers.CharField(allow_blank=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text=_("The statuses the workflow allows next (the service still checks guards).")
    )
    sla_timers = serializers.SerializerMethodField(
        help_text=_("The record's service level clocks: target, due time, business time left.")
    )

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
            "description",
            "organisation",
            "service",
            "configuration_item",
            "parent",
            "pending_reason",
            "resolution_code",
            "resolution_notes",
            "resolved_at",
            "closed_at",
            "first_responded_at",
            "reassignment_count",
            "reopen_count",
            "first_contact_resolution",
            "outage_started_at",
            "outage_ended_at",
            "allowed_transitions",
            "sla_timers",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, incident) -> list[str]:
        return INCIDENT_WORKFLOW.allowed_targets(incident.status)

    @extend_schema_field(SlaTimerSerializer(many=True))
    def get_sla_timers(self, incident) -> list[dict]:
        # A new incident carries the timers its create started (incidents.services).
        timers = getattr(incident, "started_timers", None)
        return SlaTimerSerializer(timers_of(incident) if timers is None else timers, many=True).data


class IncidentAnswerSerializer(IncidentDetailSerializer):
    """The create's answer, in IncidentDetailSerializer's shape, from one instance per process
    (`incident_answer`): building a serializer's ~45 fields (deep copies of the declared ones,
    the model's introspected) for every answer was most of what DRF cost a create. Nothing
    here may keep state between answers, so the methods that used the context do without."""

    def get_priority_name(self, incident) -> str:
        return priority_levels().get(incident.priority, {}).get("name", "")

    def get_sla_timers(self, incident) -> list[dict]:
        timers = getattr(incident, "started_timers", None)
        return _timer_rows().to_representation(timers_of(incident) if timers is None else timers)


@cache
def _answer_serializer() -> IncidentAnswerSerializer:
    serializer = IncidentAnswerSerializer()
    serializer.fields  # noqa: B018 - built now, once, not by the first answers at once
    return serializer


@cache
def _timer_rows() -> serializers.ListSerializer:
    return SlaTimerSerializer(many=True)


def incident_answer(incident: Incident) -> dict:
    """The incident as `IncidentDetailSerializer` shows it (the same JSON), for a record the
    caller has just written and holds in memory with its relations."""
    return _answer_serializer().to_representation(incident)


# --- Incidents in -------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class IncidentNumberField(serializers.SlugRelatedField):
    """Another incident named by its number (INC0000123), among those the caller may see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="number", **kwargs)

    def get_queryset(self):
        return incidents_visible_to(self.context["request"].user)


def _ref(queryset, **kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=queryset, **kwargs)


class CategoryField(serializers.PrimaryKeyRelatedField):
    """A category by id, found in the tree each process keeps (no query per request)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Category.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            category = category_get(int(data))
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if category is None:
            self.fail("does_not_exist", pk_value=data)
        return category


class LevelField(serializers.CharField):
    """A code of the administrator's impact or urgency scale (`GET /api/v1/scales/`)."""

    def __init__(self, axis: str, **kwargs):
        self.axis = axis
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("help_text", _("A level code of the scale (GET /api/v1/scales/)."))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in level_codes(self.axis):
            raise serializers.ValidationError(
                _("Choose one of: %(codes)s.") % {"codes": ", ".join(level_codes(self.axis))}
            )
        return value


class ResolutionCodeField(serializers.CharField):
    """An active resolution code (`GET /api/v1/resolution-codes/`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        codes = [code for code, _label in resolution_choices(menu=False)]
        if value and value not in codes:
            raise serializers.ValidationError(
                _("Choose one of: %(codes)s.") % {"codes": ", ".join(codes)}
            )
        return value


class IncidentFieldsSerializer(StrictInputMixin, serializers.Serializer):
    """The incident's facts, all optional here."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Rich text; sanitised before it is stored.")
    )
    requester = _ref(
        User.objects.filter(is_active=True).select_related("organisation"), required=False
    )
    organisation = _ref(
        Organisation.objects.filter(is_active=True), required=False, allow_null=True
    )
    impact = LevelField("impact", required=False)
    urgency = LevelField("urgency", required=False)
    category = CategoryField(required=False, allow_null=True)
    subcategory = CategoryField(required=False, allow_null=True)
    service = _ref(Service.objects.filter(is_active=True), required=False, allow_null=True)
    configuration_item = _ref(
        ConfigurationItem.objects.filter(is_active=True), required=False, allow_null=True
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    support_group = _ref(
        SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee = _ref(User.objects.filter(is_active=True), required=False, allow_null=True)
    major_incident = serializers.BooleanField(required=False)
    outage_started_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("A major incident's service outage: when the service went down."),
    )
    outage_ended_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When the service was back.")
    )
    parent = IncidentNumberField(
        required=False,
        allow_null=True,
        help_text=_("The parent incident's number, e.g. INC0000042."),
    )
    custom_fields = CustomFieldsIn(
        required=False, help_text=_("The custom fields' values by name (docs/custom-fields.md).")
    )


class IncidentCreateSerializer(IncidentFieldsSerializer):
    """A new incident. Staff may set every field (channel defaults to "api", the group to the
    routing rules' choice); end users log for themselves: only title, description, impact,
    urgency, category, subcategory, service and configuration item are kept."""

    title = serializers.CharField(max_length=200)
    impact = LevelField("impact")
    urgency = LevelField("urgency")


class IncidentUpdateSerializer(VersionedUpdateSerializer, IncidentFieldsSerializer):
    """Changed facts plus the version they were made on. `support_group`/`assignee` reassign."""


class MergeSerializer(VersionedActionSerializer):
    """Merge this incident (a duplicate) into another one."""

    into = serializers.CharField(
        max_length=30, help_text=_("The number of the incident that stays (INC…).")
    )


class AssignSerializer(VersionedActionSerializer):
    """A support group and optionally a member of it (no assignee: the group's queue)."""

    support_group = _ref(SupportGroup.objects.filter(is_active=True))
    assignee = _ref(User.objects.filter(is_active=True), required=False, allow_null=True)


class PendingSerializer(TransitionNoteSerializer):
    """What the incident is waiting for."""

    pending_reason = serializers.ChoiceField(choices=PendingReason.choices)


class ResolveSerializer(TransitionNoteSerializer):
    """How the incident was resolved."""

    resolution_code = ResolutionCodeField()
    resolution_notes = serializers.CharField(
        help_text=_("What was done to restore the service (rich text, sanitised).")
    )


class TransitionSerializer(TransitionNoteSerializer):
    """Any status the workflow allows next, with what that status needs."""

    target = serializers.ChoiceField(choices=IncidentStatus.choices)
    pending_reason = serializers.ChoiceField(
        choices=PendingReason.choices, required=False, allow_blank=True, default=""
    )
    resolution_code = ResolutionCodeField(required=False, allow_blank=True, default="")
    resolution_notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        # "" is in each enum for the targets that do not take it; the targets that do need a value.
        if attrs["target"] == IncidentStatus.PENDING and not attrs["pending_reason"]:
            raise serializers.ValidationError(
                {"pending_reason": [_("Say what the incident is waiting for.")]}
            )
        if attrs["target"] == IncidentStatus.RESOLVED and not attrs["resolution_code"]:
            raise serializers.ValidationError({"resolution_code": [_("Choose a resolution code.")]})
        return attrs
