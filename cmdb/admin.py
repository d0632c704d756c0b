from django.contrib import admin

from cmdb.models import ConfigurationItem


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ["name", "ci_type", "service", "support_group", "is_active"]
    list_filter = ["is_active", "ci_type"]
    search_fields = ["name"]
    autocomplete_fields = ["service"]
