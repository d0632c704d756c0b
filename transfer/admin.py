from django.contrib import admin

from servicedesk.admin import ReadOnlyAdmin
from transfer.models import ImportJob, ImportMapping


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    """Saved ways to read a file: columns, statuses and values laid over a format."""

    list_display = ["name", "format", "record_type", "source"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "format", "status", "records_written", "errors", "created_at"]
