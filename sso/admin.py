from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sso.models import DirectoryAccount, DirectorySyncRun, GroupMapping


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    list_display = ["external_group", "source", "role", "support_group"]
    list_filter = ["source", "role", "support_group"]
    search_fields = ["external_group"]
    autocomplete_fields = ["support_group"]


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(admin.ModelAdmin):
    """Read-only: the sync and directory sign-ins keep these."""

    list_display = ["user", "dn", "disabled_in_directory", "deactivated_by_sync", "synced_at"]
    list_filter = ["disabled_in_directory", "deactivated_by_sync"]
    search_fields = ["dn", "user__email", "user__full_name"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DirectorySyncRun)
class DirectorySyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at", "finished_at", "created", "updated", "deactivated", "skipped", "failed",
    ]  # fmt: skip

    @admin.display(boolean=True, description=_("failed"))
    def failed(self, run):
        return bool(run.error)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
