from django.contrib import admin

from catalogue.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "support_group", "is_active"]
    list_filter = ["is_active", "support_group"]
    search_fields = ["name"]
