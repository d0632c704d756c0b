from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from inbound import services
from inbound.choices import MessageStatus
from inbound.forms import MailboxForm
from inbound.models import BouncedAddress, IgnoreRule, InboundMessage, Mailbox
from servicedesk.admin import ReadOnlyAdmin


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """Mailboxes with their last poll, what their mail became and their last error. The
    secret is write-only; the endpoint token is shown once, by the "New endpoint token"
    action."""

    form = MailboxForm
    list_display = [
        "name", "protocol", "is_active", "last_polled_at", "received", "tickets", "replies",
        "refused", "failed", "last_error",
    ]  # fmt: skip
    list_filter = ["protocol", "is_active"]
    readonly_fields = ["has_secret", "last_polled_at", "last_error", "last_error_at"]
    actions = ["new_token"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "protocol", "poll_interval_seconds"]}),
        (
            _("Server"),
            {
                "fields": [
                    "host",
                    "port",
                    "security",
                    "auth_method",
                    "username",
                    "has_secret",
                    "secret",
                    "clear_secret",
                    "folder",
                    "maildir_path",
                    "after_read",
                    "move_to",
                ]
            },
        ),  # fmt: skip
        (
            _("New mail"),
            {
                "fields": [
                    "record_type",
                    "request_item",
                    "support_group",
                    "category",
                    "service",
                    "impact",
                    "urgency",
                    "unknown_senders",
                    "reply_address",
                    "staff_note_marker",
                    "sender_hourly_limit",
                    "max_message_bytes",
                ]
            },
        ),  # fmt: skip
        (_("Last poll"), {"fields": ["last_polled_at", "last_error", "last_error_at"]}),
    ]

    def get_queryset(self, request):
        def count(status=None):
            condition = Q(messages__status=status) if status else Q(messages__isnull=False)
            return Count("messages", filter=condition)

        return (
            super()
            .get_queryset(request)
            .annotate(
                n_received=count(),
                n_tickets=count(MessageStatus.TICKET),
                n_replies=count(MessageStatus.REPLY),
                n_refused=count(MessageStatus.REFUSED),
                n_failed=count(MessageStatus.FAILED),
            )
        )

    @admin.display(description=_("received"), ordering="n_received")
    def received(self, obj):
        return obj.n_received

    @admin.display(description=_("new records"), ordering="n_tickets")
    def tickets(self, obj):
        return obj.n_tickets

    @admin.display(description=_("replies"), ordering="n_replies")
    def replies(self, obj):
        return obj.n_replies

    @admin.display(description=_("refused"), ordering="n_refused")
    def refused(self, obj):
        return obj.n_refused

    @admin.display(description=_("failed"), ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description=_("secret stored"), boolean=True)
    def has_secret(self, obj):
        return obj.has_secret

    @admin.action(description=_("New endpoint token (shown once)"))
    def new_token(self, request, queryset):
        for mailbox in queryset.order_by("pk"):
            token = services.mailbox_token_rotate(mailbox=mailbox, actor=request.user)
            messages.success(
                request,
                _("Endpoint token of %(mailbox)s (copy it now, it is not shown again): %(token)s")
                % {"mailbox": mailbox.name, "token": token},
            )


class FailedFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return MessageStatus.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    """Every message received and what it became; failed intake is retried from here."""

    list_display = [
        "received_at",
        "mailbox",
        "sender",
        "subject",
        "status",
        "record_number",
        "reason",
    ]
    list_filter = [FailedFilter, "mailbox"]
    search_fields = ["sender", "subject", "message_id", "record_number"]
    exclude = ["raw"]
    actions = ["retry"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mailbox").defer("raw")

    @admin.action(description=_("Retry the selected failed messages"))
    def retry(self, request, queryset):
        done = failed = 0
        for pk in (
            queryset.filter(status=MessageStatus.FAILED).order_by("pk").values_list("pk", flat=True)
        ):
            message = services.message_retry(message_id=pk, actor=request.user)
            if message.status == MessageStatus.FAILED:
                failed += 1
            else:
                done += 1
        messages.info(
            request,
            _("%(done)d taken, %(failed)d still failing.") % {"done": done, "failed": failed},
        )


@admin.register(IgnoreRule)
class IgnoreRuleAdmin(admin.ModelAdmin):
    list_display = ["field", "pattern", "is_active", "note"]
    list_filter = ["field", "is_active"]


@admin.register(BouncedAddress)
class BouncedAddressAdmin(ReadOnlyAdmin):
    list_display = ["address", "bounces", "last_bounced_at", "last_reason"]
    search_fields = ["address"]
