from rest_framework import serializers

from events.choices import WebhookFormat, WebhookKind
from events.models import Event, WebhookDelivery, WebhookSubscription


class EventSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", read_only=True)
    configuration_item = serializers.CharField(source="configuration_item.name", default=None,
                                               read_only=True)  # fmt: skip
    incident = serializers.CharField(source="incident.number", default=None, read_only=True)

    class Meta:
        model = Event
        fields = ["id", "source", "fingerprint", "host", "service_name", "summary", "severity",
                  "labels", "annotations", "state", "first_seen_at", "last_seen_at",
                  "resolved_at", "count", "configuration_item", "parent", "incident",
                  "processing", "error", "acknowledged_at"]  # fmt: skip
        read_only_fields = fields


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=WebhookKind.choices))
    record_types = serializers.ListField(child=serializers.CharField(max_length=40),
                                         required=False)  # fmt: skip
    format = serializers.ChoiceField(choices=WebhookFormat.choices, required=False)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                   max_length=200)  # fmt: skip
    filter = serializers.DictField(child=serializers.ListField(), required=False)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "secret", "format", "record_types", "kinds", "filter",
                  "is_active", "max_failures", "failures", "created_at"]  # fmt: skip
        read_only_fields = ["id", "failures", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "kind", "payload", "status", "attempts", "next_attempt_at",
                  "response_status", "response_body", "error", "created_at", "sent_at"]  # fmt: skip
        read_only_fields = fields
