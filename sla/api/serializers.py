from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from sla import definitions
from sla.forms import check_country, check_week
from sla.models import (
    KIND_METRICS,
    Calendar,
    EscalationRule,
    Holiday,
    Metric,
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


def _model_clean(instance) -> None:
    """Run the model's own cross-field rules, as the admin does, with their field messages."""
    try:
        instance.clean()
    except DjangoValidationError as error:
        raise serializers.ValidationError(
            error.message_dict if hasattr(error, "error_dict") else error.messages
        ) from error


class WorkingHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class CalendarSerializer(serializers.ModelSerializer):
    """A calendar with its week (weekday 0 = Monday) and holidays, saved whole."""

    hours = WorkingHoursSerializer(many=True, required=False)
    holidays = HolidaySerializer(many=True, required=False)

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "always_open", "country", "hours", "holidays",
                  "version", "updated_at"]  # fmt: skip
        read_only_fields = ["version", "updated_at"]

    def validate_country(self, value):
        try:
            return check_country(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def validate(self, attrs):
        # A PATCH is partial, and DRF lets that reach the nested rows: each row must be whole.
        for name, fields in (("hours", ("weekday", "start", "end")), ("holidays", ("date",))):
            if any(field not in row for row in attrs.get(name, ()) for field in fields):
                raise serializers.ValidationError(
                    {name: [_("Each row needs %(fields)s.") % {"fields": ", ".join(fields)}]}
                )
        merged = {**self._current(), **attrs}
        if not merged["always_open"]:
            week: dict[int, list] = {}
            for row in merged["hours"]:
                week.setdefault(row["weekday"], []).append((row["start"], row["end"]))
            try:
                check_week(week, time_zone=merged["time_zone"])
            except DjangoValidationError as error:
                raise serializers.ValidationError({"hours": error.messages}) from error
        dates = [row["date"] for row in merged["holidays"]]
        if len(dates) != len(set(dates)):
            raise serializers.ValidationError({"holidays": [_("A date is listed twice.")]})
        return attrs

    def _current(self) -> dict:
        """On a partial update, what the calendar has now for the fields not sent."""
        calendar = self.instance
        if calendar is None:
            return {"always_open": False, "time_zone": "UTC", "hours": [], "holidays": []}
        return {
            "always_open": calendar.always_open,
            "time_zone": calendar.time_zone,
            "hours": list(calendar.hours.values("weekday", "start", "end")),
            "holidays": list(calendar.holidays.values("date", "name")),
        }

    def create(self, validated_data):
        return self._save(Calendar(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, calendar, data):
        current = self._current()
        hours = data.pop("hours", current["hours"])
        holidays = data.pop("holidays", current["holidays"])
        for field, value in data.items():
            setattr(calendar, field, value)
        return definitions.calendar_save(calendar=calendar, hours=hours, holidays=holidays)


class SlaTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = ["metric", "minutes", "calendar"]


class SlaPolicySerializer(serializers.ModelSerializer):
    """A policy with its targets (at least one, one per metric), saved whole."""

    targets = SlaTargetSerializer(many=True)
    pause_on = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, allow_empty=True
    )

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "kind", "record_type", "priority", "service", "organisation",
                  "support_group", "supplier", "precedence", "pause_on", "is_active", "targets",
                  "version"]  # fmt: skip
        read_only_fields = ["version"]

    def validate_targets(self, targets):
        if not targets:
            raise serializers.ValidationError(_("A policy needs at least one target."))
        metrics = [row["metric"] for row in targets]
        if len(metrics) != len(set(metrics)):
            raise serializers.ValidationError(_("Give each metric one target only."))
        return targets

    def validate(self, attrs):
        fields = {k: v for k, v in attrs.items() if k != "targets"}
        policy = SlaPolicy(**{**self._current_fields(), **fields})
        _model_clean(policy)
        allowed = KIND_METRICS[policy.kind]
        for row in attrs.get("targets", []):
            if row["metric"] not in allowed:
                raise serializers.ValidationError({"targets": [
                    _("%(metric)s is not measured by an %(kind)s.")
                    % {"metric": Metric(row["metric"]).label, "kind": policy.get_kind_display()}
                ]})  # fmt: skip
        return attrs

    def _current_fields(self) -> dict:
        if self.instance is None:
            return {}
        names = [f for f in self.Meta.fields if f not in ("id", "targets", "version")]
        return {name: getattr(self.instance, name) for name in names}

    def create(self, validated_data):
        return self._save(SlaPolicy(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, policy, data):
        targets = data.pop("targets", None)
        if targets is None:
            targets = list(policy.targets.values("metric", "minutes", "calendar"))
            for row in targets:
                row["calendar"] = Calendar(pk=row["calendar"])
        for field, value in data.items():
            setattr(policy, field, value)
        return definitions.policy_save(policy=policy, targets=targets)


class EscalationRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationRule
        fields = ["id", "name", "policy", "metric", "percent", "offset_minutes", "action", "role",
                  "addresses", "support_group", "is_active"]  # fmt: skip

    def validate(self, attrs):
        current = {}
        if self.instance is not None:
            current = {f: getattr(self.instance, f) for f in self.Meta.fields if f != "id"}
        _model_clean(EscalationRule(**{**current, **attrs}))
        return attrs

    def create(self, validated_data):
        return definitions.rule_save(rule=EscalationRule(**validated_data))

    def update(self, instance, validated_data):
        for field, value in validated_data.items():
            setattr(instance, field, value)
        return definitions.rule_save(rule=instance)
