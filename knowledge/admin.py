from django.contrib import admin

from knowledge.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-only: articles are written, reviewed and published in the agent workspace
    (`knowledge.services`), which keeps their versions and audit trail."""

    list_display = ["title", "status", "audience", "service", "views", "helpful", "updated_at"]
    list_filter = ["status", "audience", "service"]
    search_fields = ["title", "keywords"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
