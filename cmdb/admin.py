"""Reference data of the CMDB in the admin: classes and their typed attributes. Configuration
items themselves are edited in the CMDB pages, where the services validate and audit them."""

from django.contrib import admin

from cmdb.models import AttributeDefinition, CIClass, ConfigurationItem


class AttributeDefinitionInline(admin.TabularInline):
    model = AttributeDefinition
    fk_name = "ci_class"
    extra = 1
    fields = ["order", "code", "label", "type", "required", "choices", "reference_class"]


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_business_service", "is_location", "is_active"]
    list_filter = ["is_active", "is_business_service"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [AttributeDefinitionInline]


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ["name", "ci_class", "status", "criticality", "service", "support_group"]
    list_filter = ["status", "ci_class", "environment"]
    search_fields = ["name"]
    autocomplete_fields = ["service"]
    readonly_fields = ["attributes", "version"]

    def has_add_permission(self, request):
        return False  # created in the CMDB pages, through the services (validated, audited)

    def has_change_permission(self, request, obj=None):
        return False
