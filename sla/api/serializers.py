from rest_framework import serializers

from sla.models import SlaTimer
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
