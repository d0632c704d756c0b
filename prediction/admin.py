from django.contrib import admin

from prediction.models import BreachModel


@admin.register(BreachModel)
class BreachModelAdmin(admin.ModelAdmin):
    """Training runs, read only: the quality page shows them in full."""

    list_display = ["trained_at", "usable", "history", "auc", "baseline_auc", "brier", "note"]
    list_filter = ["usable"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
