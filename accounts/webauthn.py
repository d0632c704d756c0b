"""Security keys and passkeys (WebAuthn) as a second factor, through django-otp-webauthn.

The library runs the WebAuthn ceremonies (its JSON views under /accounts/webauthn/ and its
scripts); a key is a django-otp device like the authenticator app, so the two-factor
requirement, the verification of a session and turning two-factor off treat both alike. Keys
are a second factor only (no passwordless sign-in). The relying party is the host the person
reached the desk at (checked by ALLOWED_HOSTS), so one installation needs no extra setting;
behind a TLS proxy set SECURE_PROXY_SSL_HEADER so the origin reads https.
"""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.http.request import split_domain_port
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialAuthenticationView

from accounts.models import User
from accounts.security_log import security_event_record
from accounts.security_models import SecurityEventKind


def relying_party_id(request: HttpRequest) -> str:
    """The relying party: the host name the person reached the desk at, without the port."""
    domain, _port = split_domain_port(request.get_host())
    return domain


def relying_party_name(request: HttpRequest) -> str:
    return settings.OTP_TOTP_ISSUER


class Helper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        """The configured origins and the one this request came to (its host passed
        ALLOWED_HOSTS), so a desk reached at several names works without a list."""
        return [
            *super().get_allowed_origins(),
            f"{self.request.scheme}://{self.request.get_host()}",
        ]


def security_keys_of(user: User):
    return WebAuthnCredential.objects.filter(user=user).order_by("created_at", "pk")


@transaction.atomic
def security_key_remove(*, user: User, key_id: int, request: HttpRequest | None = None) -> None:
    """Remove one of the person's own keys (DoesNotExist for anyone else's); logged. The last
    second factor of someone whose role requires one cannot go (ValidationError)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from accounts import mfa

    key = security_keys_of(user).get(pk=key_id)
    others = mfa.user_has_device_other_than(user, key)
    if not others and mfa.two_factor_required(user):
        raise ValidationError(_("Your role requires two-factor sign-in: keep one way to give it."))
    key.delete()
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_DISABLED, user=user, request=request,
        method="security key", name=key.name,
    )  # fmt: skip


def _key_added(sender, instance, created, **kwargs) -> None:
    if created:
        security_event_record(
            kind=SecurityEventKind.TWO_FACTOR_ENABLED, user=instance.user,
            method="security key", name=instance.name,
        )  # fmt: skip


class CompleteAuthentication(CompleteCredentialAuthenticationView):
    """The library's last step of a sign-in with a key, logged as the app's codes are."""

    def complete_auth(self, device):
        super().complete_auth(device)
        security_event_record(
            kind=SecurityEventKind.TWO_FACTOR_VERIFIED, user=device.user, request=self.request,
            method="security key",
        )  # fmt: skip


def connect_signals() -> None:
    from django.db.models.signals import post_save

    post_save.connect(_key_added, sender=WebAuthnCredential, dispatch_uid="webauthn-key-added")
