from django.contrib import admin
from django.db.models import F

from servicedesk.admin import ReadOnlyAdmin
from sla.definitions import recompute_for_rule, recompute_request
from sla.forms import CalendarAdminForm, WorkingHoursFormSet
from sla.models import (
    Calendar,
    EscalationFiring,
    EscalationRule,
    Holiday,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    """Saving a calendar bumps its version and recomputes the open timers that use it."""

    form = CalendarAdminForm
    list_display = ["name", "time_zone", "always_open", "country"]
    inlines = [WorkingHoursInline, HolidayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar = form.instance
        Calendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1)
        recompute_request(calendar_id=calendar.pk)


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    min_num = 1


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name", "kind", "record_type", "priority", "service", "organisation", "support_group",
        "precedence", "is_active",
    ]  # fmt: skip
    list_filter = ["kind", "record_type", "is_active"]
    inlines = [SlaTargetInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        policy = form.instance
        recompute_request(policy_id=policy.pk)


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "policy", "metric", "percent", "offset_minutes", "action", "is_active"]
    list_filter = ["metric", "action", "is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recompute_for_rule(obj)


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdmin):
    list_display = ["content_type", "object_id", "metric", "state", "due_at", "breached_at"]
    list_filter = ["metric", "state"]


@admin.register(EscalationFiring)
class EscalationFiringAdmin(ReadOnlyAdmin):
    list_display = ["timer", "rule", "fired_at"]
