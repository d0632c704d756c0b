"""The finder's settings (one row) in the admin, and the candidates read-only beside them."""

from django.contrib import admin

from problems.kedb.models import CandidateSettings, ProblemCandidate


@admin.register(CandidateSettings)
class CandidateSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled", "window_days", "min_incidents", "min_requesters")
    fieldsets = (
        (None, {"fields": ("enabled", "window_days", "baseline_days")}),
        (
            "Groups",
            {
                "fields": (
                    "min_incidents",
                    "min_requesters",
                    "min_ratio",
                    "max_chance",
                    "min_shared_words",
                    "by_configuration_item",
                    "by_service",
                    "by_category",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        return not CandidateSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        CandidateSettings.current()
        return super().changelist_view(request, extra_context)


@admin.register(ProblemCandidate)
class ProblemCandidateAdmin(admin.ModelAdmin):
    """Read only: candidates are accepted or dismissed on their page (the services)."""

    list_display = ("title", "status", "incident_count", "requester_count", "found_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ProblemCandidate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
