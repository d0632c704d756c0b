"""The reference data of change management, kept by change managers and administrators:
categories, the standard-change catalogue, the risk questionnaire and its thresholds, and the
boards with their members. Changes themselves are written through the pages and the API."""

from django.contrib import admin

from changes.models import (
    BlackoutWindow,
    BoardMembership,
    ChangeBoard,
    ChangeCategory,
    MaintenanceWindow,
    RiskAnswer,
    RiskQuestion,
    RiskThreshold,
    SchedulingPolicy,
    StandardChangeTemplate,
)


@admin.register(ChangeCategory)
class ChangeCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    search_fields = ["name"]


@admin.register(StandardChangeTemplate)
class StandardChangeTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "default_duration", "is_active"]
    list_filter = ["is_active", "category"]
    search_fields = ["name"]
    autocomplete_fields = ["configuration_items"]
    filter_horizontal = ["services"]


class RiskAnswerInline(admin.TabularInline):
    model = RiskAnswer
    extra = 2
    fields = ["order", "text", "weight"]


@admin.register(RiskQuestion)
class RiskQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "order", "is_active"]
    list_editable = ["order", "is_active"]
    inlines = [RiskAnswerInline]


@admin.register(RiskThreshold)
class RiskThresholdAdmin(admin.ModelAdmin):
    list_display = ["level", "min_score", "route"]


class BoardMembershipInline(admin.TabularInline):
    model = BoardMembership
    extra = 1
    fields = ["user", "on_call"]
    autocomplete_fields = ["user"]


@admin.register(ChangeBoard)
class ChangeBoardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "rule", "quorum"]
    inlines = [BoardMembershipInline]


@admin.register(BlackoutWindow)
class BlackoutWindowAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "starts_at", "ends_at", "is_active"]
    list_filter = ["is_active", "service"]
    search_fields = ["name", "reason"]
    date_hierarchy = "starts_at"


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "starts_at", "ends_at", "is_active"]
    list_filter = ["is_active", "service"]
    search_fields = ["name", "notes"]
    date_hierarchy = "starts_at"


@admin.register(SchedulingPolicy)
class SchedulingPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "collision_depth"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SchedulingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
