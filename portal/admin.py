from django.contrib import admin

from portal.models import Deflection


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    """Read-only: did the articles the portal offered spare an incident?"""

    list_display = ["created_at", "user", "query", "outcome", "article", "incident"]
    list_filter = ["outcome"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
