"""Serializer fields shared by the record types' APIs."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.URI)
class AttachmentDownloadUrlField(serializers.Field):
    """`download_url`: where the file is fetched, with the same rules as the record's timeline
    (`attachment_get`). Absolute when the serializer has the request in its context."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True, allow_null=True)
        kwargs.setdefault(
            "help_text", _("GET (signed in) downloads the file; 404 to those who may not see it.")
        )
        super().__init__(**kwargs)

    def to_representation(self, attachment) -> str | None:
        if attachment.is_redacted:
            return None  # its content is gone
        path = attachment.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
