from rest_framework import serializers

from majorincidents.models import ServiceHealth, StatusUpdate
from servicedesk.api.serializers import StrictInputMixin


class UpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    health = serializers.ChoiceField(choices=ServiceHealth.choices)
    to_affected = serializers.BooleanField(default=True)
    to_subscribers = serializers.BooleanField(default=True)
    to_stakeholders = serializers.BooleanField(default=True)
    on_status_page = serializers.BooleanField(default=True)


class PublicUpdateSerializer(serializers.ModelSerializer):
    """An update as a status page shows it: no author, no audiences."""

    class Meta:
        model = StatusUpdate
        fields = ["health", "text", "created_at"]


class UpdateSerializer(serializers.ModelSerializer):
    """An update as the desk sees it."""

    service = serializers.CharField(source="service.name", default=None)
    author = serializers.CharField(source="author.full_name", default=None)

    class Meta:
        model = StatusUpdate
        fields = [
            "id", "health", "text", "service", "to_affected", "to_subscribers",
            "to_stakeholders", "on_status_page", "recipients", "author", "created_at",
        ]  # fmt: skip


def page_as_json(page: dict) -> dict:
    def incident(item):
        return {
            "number": item.number,
            "started": item.started,
            "ended": item.ended,
            "resolved": item.resolved,
            "updates": PublicUpdateSerializer(item.updates, many=True).data,
        }

    return {
        "id": page["service"].pk,
        "name": page["service"].name,
        "health": page["health"],
        "uptime": page["uptime"],
        "days": page["days"],
        "current": [incident(i) for i in page["current"]],
        "history": [incident(i) for i in page["history"]],
    }
