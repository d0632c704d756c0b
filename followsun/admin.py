"""The admin of follow-the-sun chains: checked and saved by the services (`chain_create`,
`chain_update`), as the API does; handovers are read-only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from followsun import services
from followsun.models import Chain, Desk, Handover, HandoverItem
from servicedesk import registry
from servicedesk.admin import ReadOnlyAdmin
from sla.admin import _rows, _saved


def _record_types():
    return [(record_type.key, record_type.name) for record_type in registry.all_types()]


PRIORITIES = [(level, f"P{level}") for level in range(1, 6)]


class ChainAdminForm(forms.ModelForm):
    record_types = forms.MultipleChoiceField(
        label=_("record types"), choices=_record_types, widget=forms.CheckboxSelectMultiple
    )
    priorities = forms.TypedMultipleChoiceField(
        label=_("priorities"), choices=PRIORITIES, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only these priorities follow the sun (none ticked: every priority)."),
    )  # fmt: skip

    class Meta:
        model = Chain
        fields = ["name", "record_types", "priorities", "takes_unrouted", "is_active"]


class DeskFormSet(BaseInlineFormSet):
    """The desks as the service checks them (`desks_check`)."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        rows = _rows(self, ("support_group", "calendar"))
        try:
            services.desks_check(
                desks=[(r["support_group"], r["calendar"]) for r in rows], chain=self.instance
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict["desks"]) from error


class DeskInline(admin.TabularInline):
    model = Desk
    formset = DeskFormSet
    fields = ["position", "support_group", "calendar"]
    extra = 0
    min_num = 2


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):
    form = ChainAdminForm
    list_display = ["name", "record_types", "priorities", "takes_unrouted", "is_active"]
    inlines = [DeskInline]

    def save_model(self, request, obj, form, change):
        """Nothing yet: the chain is saved with its desks in save_related."""

    def save_related(self, request, form, formsets, change):
        (formset,) = formsets
        rows = sorted(
            _rows(formset, ("position", "support_group", "calendar")),
            key=lambda r: r["position"] or 0,
        )
        desks = [(r["support_group"], r["calendar"]) for r in rows]
        data = form.cleaned_data
        fields = {
            "name": data["name"], "record_types": data["record_types"],
            "priorities": data["priorities"], "takes_unrouted": data["takes_unrouted"],
        }  # fmt: skip
        if change:
            chain = services.chain_update(
                chain_id=form.instance.pk, actor=request.user, is_active=data["is_active"],
                desks=desks, **fields,
            )  # fmt: skip
        else:
            chain = services.chain_create(actor=request.user, desks=desks, **fields)
        _saved(form, formsets, chain)


class HandoverItemInline(admin.TabularInline):
    model = HandoverItem
    fields = ["number", "title", "status", "priority", "previous_assignee"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = ["desk", "closed_at", "to_desk", "records", "summary"]
    list_filter = ["desk"]
    inlines = [HandoverItemInline]
