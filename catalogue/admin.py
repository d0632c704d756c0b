from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from catalogue.models import (
    FulfilmentTask,
    RequestField,
    RequestItem,
    Service,
    ServiceOffering,
    ServiceRequest,
    TaskTemplate,
)
from cmdb.models import ConfigurationItem
from servicedesk.models import Approval


class ConfigurationItemInline(admin.TabularInline):
    """The CIs that deliver the service (they point at it from the CMDB)."""

    model = ConfigurationItem
    fk_name = "service"
    extra = 0
    fields = ["name", "ci_class", "support_group", "is_active"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class OfferingInline(admin.TabularInline):
    model = ServiceOffering
    extra = 0
    fields = ["name", "offering_type", "sla_policy", "price", "charging_basis", "is_active"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "owner", "support_group", "is_active"]
    list_filter = ["kind", "status", "is_active", "support_group"]
    search_fields = ["name"]
    filter_horizontal = ["audience_organisations", "audience_departments", "audience_roles"]
    inlines = [OfferingInline, ConfigurationItemInline]


class FieldInline(admin.TabularInline):
    model = RequestField
    extra = 0
    fields = [
        "order", "name", "label", "field_type", "required", "choices", "min_value", "max_value",
        "max_length", "pattern", "help_text",
    ]  # fmt: skip


class TaskTemplateInline(admin.TabularInline):
    model = TaskTemplate
    extra = 0
    fields = ["order", "title", "support_group", "description"]


@admin.register(RequestItem)
class RequestItemAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "offering", "approval_rule", "fulfilment_mode", "is_active"]
    list_filter = ["approval_rule", "is_active", "service"]
    search_fields = ["name"]
    inlines = [FieldInline, TaskTemplateInline]


class ApprovalInline(GenericTabularInline):
    """The request's approvals (the kernel's, every round), read-only."""

    model = Approval
    extra = 0
    fields = readonly_fields = ["approver", "decision", "decided_at", "comment", "via_link"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Read-only: requests change through the portal, the workspace and the API."""

    list_display = ["number", "title", "status", "requester", "support_group", "created_at"]
    list_filter = ["status", "service"]
    search_fields = ["number", "title"]
    inlines = [ApprovalInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(FulfilmentTask)
class FulfilmentTaskAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "status", "support_group", "assignee", "created_at"]
    list_filter = ["status", "support_group"]
    search_fields = ["number", "title"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
