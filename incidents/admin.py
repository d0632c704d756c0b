from django.contrib import admin

from incidents.models import Category, Incident, PriorityLevel, PriorityMatrixCell, RoutingRule
from incidents.priority import forget_priority_data
from servicedesk.admin import ReadOnlyAdmin


class PriorityDataAdmin(admin.ModelAdmin):
    """Saving the matrix or a level clears the cached copy the services use."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_priority_data()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_priority_data()


@admin.register(PriorityLevel)
class PriorityLevelAdmin(PriorityDataAdmin):
    list_display = ["level", "name", "description", "target_resolution_minutes"]


@admin.register(PriorityMatrixCell)
class PriorityMatrixCellAdmin(PriorityDataAdmin):
    list_display = ["urgency", "impact", "priority"]
    list_editable = ["priority"]
    list_filter = ["urgency", "impact"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "POST":
            forget_priority_data()  # list_editable saves bypass save_model's cache clearing
        return response


class SubcategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 1
    fields = ["name", "is_active"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "is_active"]
    list_filter = ["is_active", ("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    inlines = [SubcategoryInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "order", "name", "category", "service", "configuration_item", "organisation",
        "support_group", "is_active",
    ]  # fmt: skip
    list_editable = ["order", "is_active"]
    list_display_links = ["name"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Incidents change through the workspace and the API."""

    list_display = ["number", "title", "status", "priority", "support_group", "assignee"]
    list_filter = ["status", "priority"]
    search_fields = ["number", "title"]
