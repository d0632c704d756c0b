from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from incidents import priority_data
from incidents.models import Category, Incident, PriorityLevel, PriorityMatrixCell, RoutingRule
from servicedesk.admin import ReadOnlyAdmin
from servicedesk.exceptions import ApplicationError


class PriorityDataAdmin(admin.ModelAdmin):
    """Saving the matrix or a level goes through `incidents.priority_data`: the cache is
    cleared and the open incidents are re-prioritised after the commit."""

    def save_model(self, request, obj, form, change):
        if isinstance(obj, PriorityLevel):
            priority_data.priority_level_save(level=obj, actor=request.user)
        else:
            priority_data.priority_cell_save(cell=obj, actor=request.user)


@admin.register(PriorityLevel)
class PriorityLevelAdmin(PriorityDataAdmin):
    """A level's number is fixed once created (records refer to it); a level still in use is
    not deleted: the confirmation page lists what uses it instead."""

    list_display = ["level", "name", "description", "target_resolution_minutes"]

    def get_readonly_fields(self, request, obj=None):
        return ["level"] if obj is not None else []

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected)
        for level in objs:
            for use in priority_data.priority_level_uses(level.level):
                entry = f"{level}: {use}"
                if entry not in protected:
                    protected.append(entry)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        priority_data.priority_level_delete(level=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for level in queryset.order_by("pk"):
            try:
                priority_data.priority_level_delete(level=level, actor=request.user)
            except (ApplicationError, ValidationError) as error:
                messages.error(request, str(getattr(error, "message", error)))


@admin.register(PriorityMatrixCell)
class PriorityMatrixCellAdmin(PriorityDataAdmin):
    list_display = ["urgency", "impact", "priority"]
    list_editable = ["priority"]
    list_filter = ["urgency", "impact"]


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
