from django.contrib import admin

from majorincidents.models import CommunicationPlan, ServiceStatus, StatusSubscription, StatusUpdate


@admin.register(ServiceStatus)
class ServiceStatusAdmin(admin.ModelAdmin):
    """Where an administrator makes a service's status page public (off by default)."""

    list_display = ["service", "health", "public", "changed_at"]
    list_filter = ["public", "health"]
    list_editable = ["public"]
    search_fields = ["service__name"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    list_display = ["incident", "service", "health", "recipients", "created_at"]
    readonly_fields = [f.name for f in StatusUpdate._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CommunicationPlan)
class CommunicationPlanAdmin(admin.ModelAdmin):
    list_display = ["incident", "update_interval", "next_update_due"]
    raw_id_fields = ["incident"]


@admin.register(StatusSubscription)
class StatusSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["service", "user", "email", "confirmed", "created_at"]
    raw_id_fields = ["user"]
