from django.contrib import admin

from knowledge.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "service", "is_published", "views", "helpful", "updated_at"]
    list_filter = ["is_published", "service"]
    search_fields = ["title", "keywords"]
    readonly_fields = ["views", "helpful"]
