"""What the catalogue API reads and writes. Output serializers shape rows the views loaded;
visibility is the selectors' job, the rules the services'."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.forms import form_schema
from catalogue.models import (
    FulfilmentTask,
    RequestItem,
    Service,
    ServiceOffering,
    ServiceRequest,
)
from catalogue.workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from servicedesk import registry
from servicedesk.api.approvals import ApprovalSerializer
from servicedesk.api.serializers import (
    NamedRefSerializer,
    PersonRefSerializer,
    StrictInputMixin,
    VersionedActionSerializer,
)
from sla.api.serializers import SlaTimerSerializer


class OfferingSerializer(serializers.ModelSerializer):
    sla_policy = NamedRefSerializer(read_only=True, allow_null=True)
    charging_basis_display = serializers.CharField(
        source="get_charging_basis_display", read_only=True
    )

    class Meta:
        model = ServiceOffering
        fields = [
            "id", "name", "description", "offering_type", "sla_policy", "price",
            "charging_basis", "charging_basis_display", "price_label",
        ]  # fmt: skip
        read_only_fields = fields


class ServiceSerializer(serializers.ModelSerializer):
    owner = PersonRefSerializer(read_only=True, allow_null=True)
    support_group = NamedRefSerializer(read_only=True, allow_null=True)
    offerings = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "status",
            "owner",
            "support_group",
            "offerings",
        ]
        read_only_fields = fields

    @extend_schema_field(OfferingSerializer(many=True))
    def get_offerings(self, service):
        rows = [o for o in service.offerings.all() if o.is_active]
        return OfferingSerializer(rows, many=True).data


class FormFieldSchemaSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()
    help_text = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    min = serializers.CharField(required=False, allow_null=True)
    max = serializers.CharField(required=False, allow_null=True)
    max_length = serializers.IntegerField(required=False, allow_null=True)
    pattern = serializers.CharField(required=False)


class ItemSerializer(serializers.ModelSerializer):
    service = NamedRefSerializer(read_only=True)
    offering = OfferingSerializer(read_only=True, allow_null=True)
    form = serializers.SerializerMethodField(help_text=_("The fields to send as `answers`."))

    class Meta:
        model = RequestItem
        fields = [
            "id", "name", "description", "service", "offering", "approval_rule",
            "fulfilment_mode", "form",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(FormFieldSchemaSerializer(many=True))
    def get_form(self, item):
        return form_schema(item)


class RequestListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requester = PersonRefSerializer(read_only=True)
    item = NamedRefSerializer(read_only=True)
    support_group = NamedRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id", "number", "title", "status", "status_display", "requester", "item",
            "support_group", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class TaskListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    support_group = NamedRefSerializer(read_only=True, allow_null=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    requester = PersonRefSerializer(read_only=True)
    request = serializers.SerializerMethodField(help_text=_("A request's task only; else null."))
    parent = serializers.SerializerMethodField(help_text=_("The record the task is part of."))

    class Meta:
        model = FulfilmentTask
        fields = [
            "id", "number", "title", "status", "status_display", "order", "parent", "request",
            "requester", "support_group", "assignee", "due_at", "created_at", "updated_at",
            "version",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"number": {"type": "string"}, "title": {"type": "string"}},
        }
    )
    def get_request(self, task):
        if task.request_id is None:
            return None
        return {"number": task.request.number, "title": task.request.title}

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"type": {"type": "string"}, "number": {"type": "string"}},
        }
    )
    def get_parent(self, task):
        record_type = registry.for_number(task.parent_number)
        return {"type": record_type.key if record_type else "", "number": task.parent_number}


class TaskCreateSerializer(StrictInputMixin, serializers.Serializer):
    """A task on any record: its number, a title, a support group and/or an agent, a due time."""

    parent = serializers.CharField(max_length=32, help_text=_("The record's number, INC…, CHG…"))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    support_group = serializers.IntegerField(required=False, allow_null=True, default=None)
    assignee = serializers.IntegerField(required=False, allow_null=True, default=None)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TaskDetailSerializer(TaskListSerializer):
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(TaskListSerializer.Meta):
        fields = [
            *TaskListSerializer.Meta.fields,
            "description",
            "completed_at",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, task) -> list[str]:
        return TASK_WORKFLOW.allowed_targets(task.status)


class RequestDetailSerializer(RequestListSerializer):
    service = NamedRefSerializer(read_only=True)
    offering = OfferingSerializer(read_only=True, allow_null=True)
    approvals = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField(help_text=_("Staff only; empty for end users."))
    allowed_transitions = serializers.SerializerMethodField()
    sla_timers = serializers.SerializerMethodField()

    class Meta(RequestListSerializer.Meta):
        fields = [
            *RequestListSerializer.Meta.fields, "description", "service", "offering", "answers",
            "approval_rule", "approved_at", "closed_at", "close_reason", "approvals", "tasks",
            "allowed_transitions", "sla_timers",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, record):
        rows = record.approvals.select_related("approver", "approval_set").order_by(
            "created_at", "pk"
        )
        for row in rows:
            row.record = record  # the request itself: no query per approval
        return ApprovalSerializer(rows, many=True).data

    @extend_schema_field(TaskListSerializer(many=True))
    def get_tasks(self, record):
        # What the caller may see was chosen by the selector (catalogue.selectors.request_detail_get).
        return TaskListSerializer(getattr(record, "visible_tasks", []), many=True).data

    def get_allowed_transitions(self, record) -> list[str]:
        return REQUEST_WORKFLOW.allowed_targets(record.status)

    @extend_schema_field(SlaTimerSerializer(many=True))
    def get_sla_timers(self, record):
        return SlaTimerSerializer(getattr(record, "visible_timers", []), many=True).data


# --- In -----------------------------------------------------------------------------------------


class RequestCreateSerializer(StrictInputMixin, serializers.Serializer):
    """An order: the item and the answers to its form (see the item's `form`)."""

    item = serializers.IntegerField(help_text=_("The request item's id."))
    answers = serializers.JSONField(
        required=False, default=dict,
        help_text=_("{field name: value}; people by e-mail or id, CIs by id, dates YYYY-MM-DD. "
                    "In multipart/form-data send it as a JSON string and files under their "
                    "field names."),
    )  # fmt: skip
    requester = serializers.IntegerField(
        required=False, help_text=_("Staff only: order for someone else (their id).")
    )
    IGNORED = StrictInputMixin.IGNORED


class ReasonSerializer(VersionedActionSerializer):
    """Why the request is withdrawn, and optionally the version it was withdrawn on."""

    reason = serializers.CharField()


class RatingSerializer(StrictInputMixin, serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
