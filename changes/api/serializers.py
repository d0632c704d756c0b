"""What the changes API reads and writes. Output serializers shape rows the views loaded;
visibility is the selectors' job, the rules the services'."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import SupportGroup, User
from catalogue.models import Service
from changes.choices import RAISED_BY_HAND, ChangeStatus, Outcome
from changes.models import Change, ChangeCategory, StandardChangeTemplate
from changes.workflow import CHANGE_WORKFLOW
from cmdb.models import ConfigurationItem
from servicedesk.api.serializers import (
    NamedRefSerializer,
    PersonRefSerializer,
    StrictInputMixin,
    TransitionNoteSerializer,
    VersionedActionSerializer,
)


class ChangeListSerializer(serializers.ModelSerializer):
    requester = PersonRefSerializer(read_only=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    support_group = NamedRefSerializer(read_only=True, allow_null=True)
    category = NamedRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Change
        fields = [
            "number", "title", "change_type", "status", "risk_level", "risk_score", "category",
            "requester", "support_group", "assignee", "planned_start", "planned_end",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ChangeRefSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class CIRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ChangeDetailSerializer(ChangeListSerializer):
    """The whole change, with its version (send it back when editing) and the next statuses."""

    configuration_items = CIRefSerializer(many=True, read_only=True)
    services = NamedRefSerializer(many=True, read_only=True)
    related_changes = ChangeRefSerializer(many=True, read_only=True)
    builder = PersonRefSerializer(read_only=True, allow_null=True)
    tester = PersonRefSerializer(read_only=True, allow_null=True)
    implementer = PersonRefSerializer(read_only=True, allow_null=True)
    reviewed_by = PersonRefSerializer(read_only=True, allow_null=True)
    template = NamedRefSerializer(read_only=True, allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text=_("The statuses the workflow allows next (the service still checks guards).")
    )

    class Meta(ChangeListSerializer.Meta):
        fields = [
            *ChangeListSerializer.Meta.fields,
            "description", "template", "reason", "expected_benefit", "risks", "resources",
            "builder", "tester", "implementer", "relationship", "related_changes",
            "configuration_items", "services", "implementation_plan", "backout_plan",
            "test_plan", "actual_start", "actual_end", "authorised_at", "outcome",
            "objectives_met", "review_incidents", "lessons", "reviewed_at", "reviewed_by",
            "closed_at", "allowed_transitions",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, change):
        return CHANGE_WORKFLOW.allowed_targets(change.status)


def _ref(queryset, **kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=queryset, **kwargs)


def _person(**kwargs):
    return _ref(User.objects.filter(is_active=True), required=False, allow_null=True, **kwargs)


def _text():
    return serializers.CharField(required=False, allow_blank=True)


class ChangeFieldsSerializer(StrictInputMixin, serializers.Serializer):
    """A change's own fields and relations, all optional here."""

    title = serializers.CharField(max_length=200, required=False)
    description = _text()
    change_type = serializers.ChoiceField(
        choices=RAISED_BY_HAND, required=False,
        help_text=_("Standard changes are raised from a template (`template`)."),
    )  # fmt: skip
    category = _ref(ChangeCategory.objects.filter(is_active=True), required=False, allow_null=True)
    reason = _text()
    expected_benefit = _text()
    risks = _text()
    resources = _text()
    builder = _person()
    tester = _person()
    implementer = _person()
    relationship = _text()
    implementation_plan = _text()
    backout_plan = _text()
    test_plan = _text()
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    configuration_items = _ref(ConfigurationItem.objects.filter(is_active=True), many=True,
                               required=False)  # fmt: skip
    services = _ref(Service.objects.filter(is_active=True), many=True, required=False)
    related_changes = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False,
        help_text=_("Numbers of related changes (CHG…)."),
    )  # fmt: skip

    RELATIONS = ("configuration_items", "services", "related_changes")


class ChangeCreateSerializer(ChangeFieldsSerializer):
    title = serializers.CharField(max_length=200)
    template = _ref(
        StandardChangeTemplate.objects.filter(is_active=True), required=False,
        help_text=_("A standard change's template: its plans, CIs and services are the defaults."),
    )  # fmt: skip


class ChangeUpdateSerializer(ChangeFieldsSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version you edited; a newer stored version gives 409.")
    )

    @property
    def partial(self):
        return False

    @partial.setter
    def partial(self, value):
        pass


class ChangeAssignSerializer(VersionedActionSerializer):
    support_group = _ref(SupportGroup.objects.filter(is_active=True))
    assignee = _ref(User.objects.filter(is_active=True), required=False, allow_null=True)


class ChangeTransitionSerializer(TransitionNoteSerializer):
    """Any status the workflow allows next; closing takes the closure code."""

    target = serializers.ChoiceField(
        choices=[s for s in ChangeStatus.values if s not in ("authorised", "rejected")]
    )
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, required=False, allow_blank=True, default=""
    )


class RiskSerializer(VersionedActionSerializer):
    answers = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("{question id: answer id} for every active question."),
    )


class ReviewSerializer(VersionedActionSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    objectives_met = serializers.BooleanField()
    lessons = serializers.CharField()
    incidents_caused = serializers.CharField(required=False, allow_blank=True, default="")
