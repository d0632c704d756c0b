from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from replies.models import CannedResponse, CannedText, Macro, Tag
from replies.services import macro_errors
from servicedesk import registry


class MacroForm(forms.ModelForm):
    """The record type from the registry; a status only from that type's workflow (any type's
    when the macro is for every type); at least one action (`services.macro_errors`)."""

    class Meta:
        model = Macro
        fields = [
            "name", "owner", "support_group", "is_active", "record_type", "assign_group",
            "assign_agent", "response", "visibility", "add_tags", "status", "pending_reason",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"] = forms.ChoiceField(
            label=_("record type"), required=False,
            choices=[("", _("Every record type"))] + [(t.key, t.name) for t in registry.all_types()],
        )  # fmt: skip

    def clean(self):
        data = super().clean()
        for name, errors in macro_errors(data).items():
            self.add_error(None if name == "__all__" else name, errors)
        return data


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
    form = MacroForm
    list_display = ("name", "record_type", "owner", "support_group", "status", "is_active")
    list_filter = ("is_active", "record_type", "support_group")
    search_fields = ("name",)
    raw_id_fields = ("owner", "assign_agent")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
