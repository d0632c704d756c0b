from django.contrib import admin

from replies.models import CannedResponse, CannedText, Macro, Tag


class CannedTextInline(admin.TabularInline):
    model = CannedText
    extra = 1


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "support_group", "is_active")
    list_filter = ("is_active", "support_group")
    search_fields = ("name", "texts__body")
    raw_id_fields = ("owner",)
    inlines = [CannedTextInline]


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "record_type", "owner", "support_group", "status", "is_active")
    list_filter = ("is_active", "record_type", "support_group")
    search_fields = ("name",)
    raw_id_fields = ("owner", "assign_agent")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
