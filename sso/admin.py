from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sso import services
from sso.models import DirectoryAccount, DirectorySyncRun, GroupMapping, SamlProvider


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    list_display = ["external_group", "source", "role", "support_group"]
    list_filter = ["source", "role", "support_group"]
    search_fields = ["external_group"]
    autocomplete_fields = ["support_group"]


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(admin.ModelAdmin):
    """Read-only: the sync and directory sign-ins keep these."""

    list_display = ["user", "dn", "disabled_in_directory", "deactivated_by_sync", "synced_at"]
    list_filter = ["disabled_in_directory", "deactivated_by_sync"]
    search_fields = ["dn", "user__email", "user__full_name"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DirectorySyncRun)
class DirectorySyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at", "finished_at", "created", "updated", "deactivated", "skipped", "failed",
    ]  # fmt: skip

    @admin.display(boolean=True, description=_("failed"))
    def failed(self, run):
        return bool(run.error)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SamlProviderForm(forms.ModelForm):
    metadata_file = forms.FileField(
        label=_("IdP metadata file"),
        required=False,
        help_text=_("The identity provider's metadata XML (ADFS: FederationMetadata.xml)."),
    )
    metadata_xml = forms.CharField(
        label=_("or the metadata XML itself"), required=False, widget=forms.Textarea
    )

    class Meta:
        model = SamlProvider
        fields = ["name", "client_id"]
        labels = {"client_id": _("short name (in the addresses)")}

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("metadata_file")
        xml = (
            upload.read(services.METADATA_MAX_BYTES + 1) if upload else cleaned.get("metadata_xml")
        )
        if xml:
            try:
                services.saml_idp_from_metadata(xml=xml)
            except ValidationError as error:
                self.add_error(None, error)
        elif not (self.instance.pk and (self.instance.settings or {}).get("idp")):
            self.add_error(None, _("Give the identity provider's metadata."))
        cleaned["metadata"] = xml
        return cleaned


@admin.register(SamlProvider)
class SamlProviderAdmin(admin.ModelAdmin):
    """SAML providers: the metadata in (file or XML), and the addresses to give the provider
    (our metadata, our assertion consumer service)."""

    form = SamlProviderForm
    list_display = ["name", "client_id", "service_provider_metadata"]
    readonly_fields = [
        "service_provider_metadata",
        "assertion_consumer_service",
        "identity_provider",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(provider="saml")

    @admin.display(description=_("our metadata (give it to the provider)"))
    def service_provider_metadata(self, app):
        if not app.pk:
            return "-"
        return reverse("saml_metadata", kwargs={"organization_slug": app.client_id})

    @admin.display(description=_("assertion consumer service"))
    def assertion_consumer_service(self, app):
        if not app.pk:
            return "-"
        return reverse("saml_acs", kwargs={"organization_slug": app.client_id})

    @admin.display(description=_("identity provider"))
    def identity_provider(self, app):
        idp = (app.settings or {}).get("idp") or {}
        return idp.get("entity_id") or idp.get("metadata_url") or "-"

    def save_model(self, request, obj, form, change):
        obj.provider = "saml"
        xml = form.cleaned_data.get("metadata")
        if xml:
            services.saml_provider_import_metadata(app=obj, xml=xml, actor=request.user)
        else:
            obj.save()
