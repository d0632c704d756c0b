"""Administrators edit sources (the token is shown once), rules, silences and webhooks here;
events and deliveries are read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from events import services
from events.models import (
    AlertSource,
    Event,
    EventRule,
    Silence,
    WebhookDelivery,
    WebhookSubscription,
)
from events.services import webhooks


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "created_at")
    fields = ("name", "kind", "is_active")
    actions = ["new_token"]

    def save_model(self, request, obj, form, change):
        if not change:
            token = obj.set_token()
            messages.warning(request, _("The token of %(name)s (shown once): %(token)s")
                             % {"name": obj.name, "token": token})  # fmt: skip
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Give a new token"))
    def new_token(self, request, queryset):
        for source in queryset:
            token = source.set_token()
            source.save(update_fields=["token_hash"])
            messages.warning(request, _("The token of %(name)s (shown once): %(token)s")
                             % {"name": source.name, "token": token})  # fmt: skip


@admin.register(EventRule)
class EventRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "action", "source", "impact", "urgency", "is_active")
    list_editable = ("order", "is_active")


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ("comment", "configuration_item", "starts_at", "ends_at")
    raw_id_fields = ("configuration_item",)
    exclude = ("created_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        services.rules.check_matchers(obj.label_matchers)
        super().save_model(request, obj, form, change)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "format", "is_active", "failures")

    def save_model(self, request, obj, form, change):
        webhooks.subscription_save(actor=request.user, subscription=obj)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("host", "summary", "severity", "state", "count", "last_seen_at")
    list_filter = ("state", "severity", "source")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("subscription", "kind", "status", "attempts", "response_status", "created_at")
    list_filter = ("status",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
