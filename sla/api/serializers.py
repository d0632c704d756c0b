"""The SLA API's serializers. Those of the definitions check the shape of the input only (types,
ranges, whole rows); the rules of a usable calendar, policy or rule are the services' own
(`sla.services.definitions`), which the views call, so the API and the admin refuse the same
input with the same messages."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from sla.models import (
    Calendar,
    EscalationRule,
    Holiday,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)
from sla.selectors import timer_view


class SlaTimerSerializer(serializers.ModelSerializer):
    record_type = serializers.CharField(source="content_type.model", read_only=True)
    policy = serializers.CharField(source="policy.name", read_only=True)
    calendar = serializers.CharField(source="target.calendar.name", read_only=True)
    target_minutes = serializers.SerializerMethodField()
    business_minutes_left = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()

    class Meta:
        model = SlaTimer
        fields = [
            "id", "record_type", "object_id", "metric", "state", "policy", "calendar",
            "target_minutes", "started_at", "due_at", "breached", "breached_at", "stopped_at",
            "business_minutes_left",
        ]  # fmt: skip
        read_only_fields = fields

    def get_target_minutes(self, timer) -> int:
        return timer.target_seconds // 60

    def get_business_minutes_left(self, timer) -> int:
        view = timer_view(timer)
        return view["left_minutes"] - view["over_minutes"]

    def get_breached(self, timer) -> bool:
        return timer.breached_at is not None


# --- Definitions --------------------------------------------------------------------------------


class WorkingHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class CalendarSerializer(serializers.ModelSerializer):
    """A calendar with its week (weekday 0 = Monday) and holidays, saved whole. Send the
    `version` you edited to have a stale edit refused (409)."""

    hours = WorkingHoursSerializer(many=True, required=False)
    holidays = HolidaySerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "always_open", "country", "hours", "holidays",
                  "version", "updated_at"]  # fmt: skip
        read_only_fields = ["updated_at"]
        # The name's uniqueness and the time zone are the service's checks (calendar_check).
        extra_kwargs = {"name": {"validators": []}, "time_zone": {"validators": []}}

    def validate(self, attrs):
        # A PATCH is partial, and DRF lets that reach the nested rows: each row must be whole.
        for name, fields in (("hours", ("weekday", "start", "end")), ("holidays", ("date",))):
            if any(field not in row for row in attrs.get(name, ()) for field in fields):
                raise serializers.ValidationError(
                    {name: [_("Each row needs %(fields)s.") % {"fields": ", ".join(fields)}]}
                )
        return attrs


class SlaTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = ["metric", "minutes", "calendar"]


class SlaPolicySerializer(serializers.ModelSerializer):
    """A policy with its targets (at least one, one per metric), saved whole. Send the
    `version` you edited to have a stale edit refused (409)."""

    targets = SlaTargetSerializer(many=True)
    pause_on = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, allow_empty=True
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "kind", "record_type", "priority", "service", "organisation",
                  "support_group", "supplier", "precedence", "pause_on", "is_active", "targets",
                  "version"]  # fmt: skip
        extra_kwargs = {"name": {"validators": []}}  # unique: the service's check


class EscalationRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationRule
        fields = ["id", "name", "policy", "metric", "percent", "offset_minutes", "probability",
                  "action", "role", "addresses", "support_group", "is_active"]  # fmt: skip
