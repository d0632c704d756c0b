"""Serializers every API module shares: references, strict input, comments, files, timeline.

Output serializers only shape rows the view has already loaded; they never filter for visibility
(the record type's selector and `record_timeline` do).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.api.fields import AttachmentDownloadUrlField
from servicedesk.models import Attachment, AuditEvent, Comment, Visibility


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    detail = serializers.CharField()
    # A field named like Serializer.errors, which it shadows: this serializer only describes the
    # error shape in the schema and is never validated.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text=(
            "Field name to its messages (a list of strings); a nested field (rows of a list) maps "
            "to its rows' errors in the same form."
        ),
    )


# --- References to related objects: an id and a name, nothing heavy -------------------------


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class StrictInputMixin(serializers.Serializer):
    """Refuse fields the endpoint does not take instead of silently ignoring them."""

    IGNORED = {"csrfmiddlewaretoken"}
    HINTS = {
        "status": _("Change the status with the actions (start/, pending/, resolve/, ...)."),
        "priority": _("The priority follows from impact and urgency."),
    }

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = set(data.keys()) - set(self.fields) - self.IGNORED
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.HINTS.get(name, _("This field cannot be set here."))]
                        for name in sorted(unknown)
                    }
                )
        return super().to_internal_value(data)


class VersionedActionSerializer(StrictInputMixin, serializers.Serializer):
    """An action on a record, optionally checked against the version you saw."""

    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("Optional: the version you acted on; a newer stored version gives 409."),
    )


class VersionedUpdateSerializer(StrictInputMixin, serializers.Serializer):
    """A PATCH of a record's facts: the changed fields (all optional in the subclass) plus the
    version they were made on, which is required."""

    version = serializers.IntegerField(
        min_value=1, help_text=_("The version you edited; a newer stored version gives 409.")
    )

    # Every field but `version` is optional already. DRF's own `partial` would make `version`
    # optional too, and drf-spectacular marks every PATCH body partial: pin it to False.
    @property
    def partial(self):
        return False

    @partial.setter
    def partial(self, value):
        pass


class TransitionNoteSerializer(VersionedActionSerializer):
    """A status change with an optional note for the timeline."""

    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Comments, attachments, timeline ------------------------------------------------------------


class CommentAttachmentSerializer(serializers.ModelSerializer):
    download_url = AttachmentDownloadUrlField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "filename",
            "mime_type",
            "size",
            "visibility",
            "created_at",
            "download_url",
            "redacted_at",
        ]
        read_only_fields = fields


class AttachmentSerializer(CommentAttachmentSerializer):
    """A file on its own (uploads, lists): also who uploaded it and the comment it came with."""

    uploaded_by = PersonRefSerializer(read_only=True)
    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)

    class Meta(CommentAttachmentSerializer.Meta):
        fields = [
            "id",
            "filename",
            "mime_type",
            "size",
            "visibility",
            "uploaded_by",
            "comment",
            "created_at",
            "download_url",
            "redacted_at",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author = PersonRefSerializer(read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "body", "visibility", "author", "created_at", "attachments", "redacted_at"]
        read_only_fields = fields

    @extend_schema_field(CommentAttachmentSerializer(many=True))
    def get_attachments(self, comment) -> list[dict]:
        # The timeline hands each comment its files (`files`); a new comment asks its own.
        files = getattr(comment, "files", None)
        if files is None:
            files = comment.attachments.select_related("uploaded_by")
        return list(CommentAttachmentSerializer(files, many=True, context=self.context).data)


class CommentCreateSerializer(StrictInputMixin, serializers.Serializer):
    """A public reply or an internal work note."""

    body = serializers.CharField(help_text=_("Rich text; sanitised before it is stored."))
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_("End users' comments are always public."),
    )


class AttachmentUploadSerializer(StrictInputMixin, serializers.Serializer):
    """One file, sent as multipart/form-data."""

    file = serializers.FileField(help_text=_("Size and type limits apply (see the error)."))
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_("End users' files are always public."),
    )


class TimelineEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    field_label = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "kind",
            "kind_display",
            "field",
            "field_label",
            "old_text",
            "new_text",
            "note",
        ]
        read_only_fields = fields

    def get_field_label(self, event) -> str:
        if not event.field:
            return ""
        model = ContentType.objects.get_for_id(event.content_type_id).model_class()
        if model is None:  # the record's model is gone (an uninstalled app)
            return event.field
        try:
            field = model._meta.get_field(event.field)
        except FieldDoesNotExist:
            return event.field
        return str(getattr(field, "verbose_name", event.field))


class TimelineEntrySerializer(serializers.Serializer):
    """One entry of the merged timeline; exactly one of event, comment, attachment is set."""

    kind = serializers.ChoiceField(choices=["event", "comment", "attachment"], read_only=True)
    at = serializers.DateTimeField(read_only=True)
    actor = PersonRefSerializer(
        read_only=True, allow_null=True, help_text=_("Null: a person deleted since.")
    )
    event = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()
    attachment = serializers.SerializerMethodField()
    via_email = serializers.SerializerMethodField(
        help_text=_("The sender's address when the entry came by e-mail, else null.")
    )

    def get_via_email(self, entry) -> str | None:
        return getattr(entry.item, "via_email", "") or None

    def _item(self, entry, kind, serializer_class):
        if entry.kind != kind:
            return None
        return serializer_class(entry.item, context=self.context).data

    @extend_schema_field(TimelineEventSerializer(allow_null=True))
    def get_event(self, entry):
        return self._item(entry, "event", TimelineEventSerializer)

    @extend_schema_field(CommentSerializer(allow_null=True))
    def get_comment(self, entry):
        return self._item(entry, "comment", CommentSerializer)

    @extend_schema_field(AttachmentSerializer(allow_null=True))
    def get_attachment(self, entry):
        return self._item(entry, "attachment", AttachmentSerializer)
