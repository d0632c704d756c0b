"""The admin of the SLA definitions. It validates with the services' own checks and saves
through them (`sla.services.definitions`): the same validation, audit row and recompute of the
open timers as the API and the demo data."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet

from servicedesk.admin import ReadOnlyAdmin
from sla import services
from sla.forms import CalendarAdminForm, WorkingHoursFormSet
from sla.models import (
    Calendar,
    DefinitionChange,
    EscalationFiring,
    EscalationRule,
    Holiday,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)
from sla.services.definitions import CALENDAR_FIELDS, POLICY_FIELDS, RULE_FIELDS


def _rows(formset, fields) -> list[dict]:
    """The rows an inline formset keeps (not deleted, not left empty), as the services take."""
    return [
        {name: form.cleaned_data[name] for name in fields}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _fields(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def _saved(form, formsets, row) -> None:
    """Hand the admin what the service saved: the instance's id and version for the log entry
    and the redirect, and formsets that saved nothing themselves."""
    form.instance.pk = row.pk
    if hasattr(row, "version"):
        form.instance.version = row.version
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class DefinitionAdmin(admin.ModelAdmin):
    """Deleting goes through the service too (audited; refused while in use)."""

    delete_service = staticmethod(services.calendar_delete)
    id_argument = "calendar_id"

    def delete_model(self, request, obj):
        type(self).delete_service(**{self.id_argument: obj.pk, "actor": request.user})

    def delete_queryset(self, request, queryset):
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            type(self).delete_service(**{self.id_argument: pk, "actor": request.user})


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(DefinitionAdmin):
    """Saved whole by `calendar_create`/`calendar_update`: an edit bumps the version, leaves an
    audit row and recomputes the open timers that use the calendar."""

    form = CalendarAdminForm
    list_display = ["name", "time_zone", "always_open", "country"]
    inlines = [WorkingHoursInline, HolidayInline]

    def save_model(self, request, obj, form, change):
        """Nothing yet: the calendar is saved with its week and holidays in save_related."""

    def save_related(self, request, form, formsets, change):
        rows = {formset.model: formset for formset in formsets}
        hours = _rows(rows[WorkingHours], ("weekday", "start", "end"))
        holidays = _rows(rows[Holiday], ("date", "name"))
        fields = _fields(form, CALENDAR_FIELDS)
        if change:
            calendar = services.calendar_update(
                calendar_id=form.instance.pk,
                actor=request.user,
                changes=fields,
                hours=hours,
                holidays=holidays,
            )
        else:
            calendar = services.calendar_create(
                actor=request.user, fields=fields, hours=hours, holidays=holidays
            )
        _saved(form, formsets, calendar)


class SlaTargetFormSet(BaseInlineFormSet):
    """The targets with their policy, checked as the service checks them (`policy_check`)."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        try:
            services.policy_check(
                policy=self.instance, targets=_rows(self, ("metric", "minutes", "calendar"))
            )
        except ValidationError as error:
            # The policy's own fields are the form's to show; the targets are this formset's.
            messages = error.message_dict.get("targets") if hasattr(error, "error_dict") else None
            if messages:
                raise ValidationError(messages) from error


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    formset = SlaTargetFormSet
    extra = 0
    min_num = 1


@admin.register(SlaPolicy)
class SlaPolicyAdmin(DefinitionAdmin):
    """Saved whole by `policy_create`/`policy_update`: an edit bumps the version, leaves an
    audit row and recomputes the policy's open timers."""

    list_display = [
        "name", "kind", "record_type", "priority", "service", "organisation", "support_group",
        "precedence", "is_active",
    ]  # fmt: skip
    list_filter = ["kind", "record_type", "is_active"]
    inlines = [SlaTargetInline]
    delete_service = staticmethod(services.policy_delete)
    id_argument = "policy_id"

    def save_model(self, request, obj, form, change):
        """Nothing yet: the policy is saved with its targets in save_related."""

    def save_related(self, request, form, formsets, change):
        (targets,) = [formset for formset in formsets if formset.model is SlaTarget]
        rows = _rows(targets, ("metric", "minutes", "calendar"))
        fields = _fields(form, POLICY_FIELDS)
        if change:
            policy = services.policy_update(
                policy_id=form.instance.pk, actor=request.user, changes=fields, targets=rows
            )
        else:
            policy = services.policy_create(actor=request.user, fields=fields, targets=rows)
        _saved(form, formsets, policy)


@admin.register(EscalationRule)
class EscalationRuleAdmin(DefinitionAdmin):
    list_display = [
        "name", "policy", "metric", "percent", "offset_minutes", "probability", "action", "is_active"
    ]  # fmt: skip
    list_filter = ["metric", "action", "is_active"]
    delete_service = staticmethod(services.rule_delete)
    id_argument = "rule_id"

    def save_model(self, request, obj, form, change):
        fields = _fields(form, RULE_FIELDS)
        if change:
            rule = services.rule_update(rule_id=obj.pk, actor=request.user, changes=fields)
        else:
            rule = services.rule_create(actor=request.user, fields=fields)
        _saved(form, [], rule)


@admin.register(DefinitionChange)
class DefinitionChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "name", "action", "actor"]
    list_filter = ["content_type", "action"]
    list_select_related = ["content_type", "actor"]


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdmin):
    list_display = ["content_type", "object_id", "metric", "state", "due_at", "breached_at"]
    list_filter = ["metric", "state"]


@admin.register(EscalationFiring)
class EscalationFiringAdmin(ReadOnlyAdmin):
    list_display = ["timer", "rule", "fired_at"]
