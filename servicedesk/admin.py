from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Attachment, AuditEvent, Comment, SatisfactionRating


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that only services write (one path per operation): shown, never edited here."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "kind", "field", "actor"]
    list_filter = ["kind", "content_type"]
    list_select_related = ["actor", "content_type"]


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "score", "rated_by"]
    list_filter = ["score", "content_type"]
    list_select_related = ["rated_by", "content_type"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "content_type", "object_id", "visibility", "author"]
    list_filter = ["visibility"]
    list_select_related = ["author", "content_type"]
    readonly_fields = ["content_type", "object_id", "author", "created_at"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "mime_type", "size", "uploaded_by", "created_at"]
    list_select_related = ["uploaded_by"]
    # The stored file is reached through the download view only (its checks and headers), never
    # through a MEDIA_URL link.
    exclude = ["file"]
    readonly_fields = [
        "download",
        "content_type",
        "object_id",
        "uploaded_by",
        "size",
        "mime_type",
        "created_at",
    ]

    @admin.display(description=_("file"))
    def download(self, attachment):
        if attachment.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', attachment.get_absolute_url(), attachment.filename
        )

    show_full_result_count = False
