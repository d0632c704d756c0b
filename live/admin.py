from django.contrib import admin

from live.models import Availability, GroupAssignment, Notification, Skill


@admin.register(GroupAssignment)
class GroupAssignmentAdmin(admin.ModelAdmin):
    list_display = ("support_group", "rule", "by_skill", "last_assignee")
    list_filter = ("rule", "by_skill")
    raw_id_fields = ("last_assignee",)


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "present", "work_days", "starts_at", "ends_at")
    list_filter = ("present",)
    raw_id_fields = ("user",)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("user", "category")
    raw_id_fields = ("user",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "number", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "actor")
    readonly_fields = [f.name for f in Notification._meta.fields]
