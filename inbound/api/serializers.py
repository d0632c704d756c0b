from django.utils.translation import gettext as _
from rest_framework import serializers

from inbound.forms import MailboxForm
from inbound.models import Mailbox

FIELDS = [
    "name", "is_active", "protocol", "host", "port", "security", "auth_method", "username",
    "folder", "maildir_path", "after_read", "move_to", "poll_interval_seconds",
    "max_message_bytes", "record_type", "request_item", "support_group", "category", "service",
    "impact", "urgency", "reply_address", "unknown_senders", "staff_note_marker",
    "sender_hourly_limit",
]  # fmt: skip


class MailboxSerializer(serializers.ModelSerializer):
    """A mailbox as administrators read it: never its secret, only whether one is stored."""

    has_secret = serializers.BooleanField(read_only=True)
    has_token = serializers.SerializerMethodField()

    class Meta:
        model = Mailbox
        fields = ["id", *FIELDS, "has_secret", "has_token", "last_polled_at", "last_error",
                  "last_error_at"]  # fmt: skip
        read_only_fields = fields

    def get_has_token(self, obj) -> bool:
        return bool(obj.token_hash)


class MailboxInputSerializer(serializers.Serializer):
    """Create or change a mailbox: validated by the admin's form (one set of rules); the
    secret is write-only."""

    def to_internal_value(self, data):
        instance = self.instance
        current = instance if instance is not None else Mailbox()  # a new one: the defaults
        initial = {name: getattr(current, name) for name in FIELDS}
        for name in ("support_group", "category", "service", "request_item"):
            initial[name] = getattr(current, f"{name}_id")
        initial = {name: value for name, value in initial.items() if value is not None}
        unknown = set(data) - set(FIELDS) - {"secret"}
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Unknown field.")] for name in sorted(unknown)}
            )
        form = MailboxForm(data={**initial, **data}, instance=instance)
        if not form.is_valid():
            raise serializers.ValidationError(
                {name: [e["message"] for e in errors] for name, errors in
                 form.errors.get_json_data(escape_html=False).items()}
            )  # fmt: skip
        return form

    def to_representation(self, instance):
        return MailboxSerializer(instance).data
