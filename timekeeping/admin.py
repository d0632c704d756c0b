from django.contrib import admin

from timekeeping import services
from timekeeping.models import HourlyRate, TimeEntry


@admin.register(HourlyRate)
class HourlyRateAdmin(admin.ModelAdmin):
    list_display = ("organisation", "support_group", "rate")
    autocomplete_fields = ("organisation", "support_group")

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()  # the form checked the fields and the owner
            return
        saved = services.hourly_rate_put(
            organisation=obj.organisation, support_group=obj.support_group, rate=obj.rate
        )
        obj.pk = saved.pk


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    """Read-only: time is logged on the record pages and through the API."""

    list_display = ("number", "agent", "support_group", "minutes", "billable", "worked_on")
    list_filter = ("billable", "worked_on")
    search_fields = ("number", "agent__email", "agent__full_name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
