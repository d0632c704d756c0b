"""Admin pages of account security: which roles require two-factor, the security log (read
only; the filtered list and CSV export are on /privacy/security-log/) and access tokens."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import mfa, tokens
from accounts.security_models import AccessToken, SecurityEvent, TwoFactorRequirement


@admin.register(TwoFactorRequirement)
class TwoFactorRequirementAdmin(admin.ModelAdmin):
    list_display = ["role", "required"]
    list_editable = ["required"]
    fields = ["role", "required"]

    def has_delete_permission(self, request, obj=None):
        return False  # untick "required" instead: that is logged

    def get_readonly_fields(self, request, obj=None):
        return ["role"] if obj else []

    def save_model(self, request, obj, form, change):
        saved = mfa.two_factor_requirement_set(
            role=obj.role, required=obj.required, actor=request.user
        )
        obj.pk = saved.pk


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "email", "actor", "ip_address"]
    list_filter = ["kind", "created_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_select_related = ["actor"]
    readonly_fields = [
        "created_at", "kind", "user", "email", "actor", "ip_address", "user_agent", "detail",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]  # fmt: skip
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "user__email", "prefix"]
    list_select_related = ["user"]
    actions = ["revoke"]
    readonly_fields = ["user", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]  # fmt: skip

    def has_add_permission(self, request):
        return False  # people make their own, on their account page (the secret is theirs)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.order_by("pk"):
            tokens.token_revoke(
                user=token.user, token_id=token.pk, actor=request.user, request=request
            )
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
