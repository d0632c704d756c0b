from collections.abc import Callable

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, user_roles
from servicedesk import services
from servicedesk.models import (
    Approval,
    ApprovalSet,
    Attachment,
    AuditEvent,
    Comment,
    SatisfactionRating,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that only services write (one path per operation): shown, never edited here."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalInline(admin.TabularInline):
    model = Approval
    fields = ("approver", "decision", "decided_at", "comment", "via_link")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApprovalSet)
class ApprovalSetAdmin(ReadOnlyAdmin):
    """Approval rounds on any record (approvals are decided by their approvers only)."""

    list_display = ["created_at", "content_type", "object_id", "rule", "quorum", "status"]
    list_filter = ["status", "rule", "content_type"]
    list_select_related = ["content_type"]
    inlines = [ApprovalInline]


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


class RedactAdmin(ReadOnlyAdmin):
    """Comments and files are append-only: nobody changes or deletes them here. An
    administrator's one action is "Redact" (the service removes the content and leaves a trace
    on the record's timeline)."""

    actions = ["redact"]
    redact_one: Callable[..., None]  # each subclass: the service that redacts one row

    def has_redact_permission(self, request):
        return Role.ADMINISTRATOR in user_roles(request.user)

    @admin.action(description=_("Redact"), permissions=["redact"])
    def redact(self, request, queryset):
        done = 0
        for pk in (
            queryset.filter(redacted_at__isnull=True).order_by("pk").values_list("pk", flat=True)
        ):
            self.redact_one(pk=pk, actor=request.user)
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d redacted.", "%(count)d redacted.", done) % {"count": done},
            messages.SUCCESS,
        )


@admin.register(Comment)
class CommentAdmin(RedactAdmin):
    list_display = [
        "created_at",
        "content_type",
        "object_id",
        "visibility",
        "author",
        "redacted_by",
    ]
    list_filter = ["visibility"]
    list_select_related = ["author", "content_type", "redacted_by"]

    def redact_one(self, *, pk, actor):
        services.comment_redact(comment_id=pk, actor=actor, note=gettext("Redacted in the admin."))


@admin.register(Attachment)
class AttachmentAdmin(RedactAdmin):
    list_display = ["filename", "mime_type", "size", "uploaded_by", "created_at", "redacted_by"]
    list_select_related = ["uploaded_by", "redacted_by"]
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
        "redacted_at",
        "redacted_by",
    ]

    def redact_one(self, *, pk, actor):
        services.attachment_redact(
            attachment_id=pk, actor=actor, note=gettext("Redacted in the admin.")
        )

    @admin.display(description=_("file"))
    def download(self, attachment):
        if attachment.pk is None or attachment.is_redacted:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', attachment.get_absolute_url(), attachment.filename
        )
