"""Account security: the security log, personal access tokens, sign-in sessions and which roles
must use two-factor sign-in. Imported by `accounts.models` so Django finds the models; the
code that writes them is in `accounts.security_log`, `accounts.tokens`, `accounts.sessions`
and `accounts.mfa`.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SecurityEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Locked out")
    SIGNED_OUT = "signed_out", _("Signed out")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor sign-in turned off")
    TWO_FACTOR_VERIFIED = "two_factor_verified", _("Two-factor code accepted")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor code refused")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    RECOVERY_CODES_CREATED = "recovery_codes_created", _("New recovery codes")
    TWO_FACTOR_REQUIREMENT = "two_factor_requirement", _("Two-factor requirement changed")
    TOKEN_CREATED = "token_created", _("Access token created")
    TOKEN_REVOKED = "token_revoked", _("Access token revoked")
    TOKEN_REFUSED = "token_refused", _("Expired or revoked token refused")
    SESSION_REVOKED = "session_revoked", _("Session signed out")
    DATA_EXPORTED = "data_exported", _("Personal data exported")
    ANONYMISED = "anonymised", _("Person anonymised")
    SSO_ACCOUNT_CREATED = "sso_account_created", _("Account created by single sign-on")
    SSO_ROLES_CHANGED = "sso_roles_changed", _("Roles or groups changed by single sign-on")
    SSO_REFUSED = "sso_refused", _("Single sign-on refused")
    DIRECTORY_DEACTIVATED = "directory_deactivated", _("Switched off by the directory")


class SecurityEvent(models.Model):
    """One line of the security log: who (`user`, or the address typed for a failed sign-in),
    what (`kind`), when, from where, and who did it when it was someone else (`actor`)."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    kind = models.CharField(_("event"), max_length=32, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    email = models.CharField(_("e-mail address"), max_length=254, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="accounts_secevent_time"),
            models.Index(fields=["user", "-created_at"], name="accounts_secevent_user"),
            models.Index(fields=["kind", "-created_at"], name="accounts_secevent_kind"),
            models.Index(fields=["email", "-created_at"], name="accounts_secevent_email"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.email}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class AccessToken(models.Model):
    """A personal access token for the API. Only the SHA-256 of the secret is kept: the secret is
    shown once, when it is made. `prefix` (its first characters) lets the owner recognise it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_tokens",
        verbose_name=_("person"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_token_user")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=["read", "write"]),
                name="%(app_label)s_%(class)s_scope_valid",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class UserSession(models.Model):
    """A signed-in browser: the session's key, when and from where it signed in. The session
    itself stays in Django's session store; signing it out deletes it there too."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_session_user")]

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class TwoFactorRequirement(models.Model):
    """A role whose people must sign in with a second factor: until they set one up they reach
    nothing but the set-up page."""

    role = models.OneToOneField(
        Group, on_delete=models.CASCADE, related_name="two_factor", verbose_name=_("role")
    )
    required = models.BooleanField(_("two-factor sign-in required"), default=True)

    class Meta:
        ordering = ["role__name"]
        verbose_name = _("two-factor requirement")
        verbose_name_plural = _("two-factor requirements")

    def __str__(self):
        return str(self.role)
