"""Two-factor sign-in with django-otp: a TOTP authenticator app plus single-use recovery codes
(django-otp's static tokens), and the roles an administrator requires it for.

After the password, a person who has a confirmed device is asked for a code
(`accounts:two_factor_verify`); a person of a role that requires two-factor and who has no device
yet reaches only the set-up page (`accounts:two_factor_setup`). `TwoFactorMiddleware` sends them
there whatever signed them in (password, single sign-on, directory). It decides from a state kept
in the session, recomputed when an administrator changes a requirement or a device changes
(`_bump_version`), so a signed-in request costs no query for it.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.security_log import security_event_record
from accounts.security_models import SecurityEventKind, TwoFactorRequirement

if TYPE_CHECKING:
    from accounts.models import User

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
SESSION_KEY = "accounts_two_factor"
VERSION_KEY = "accounts:two-factor-version"
VERIFY, SETUP = "verify", "setup"
WEBAUTHN_PATH = "/accounts/webauthn/"


# --- What the person must do --------------------------------------------------------------------


def two_factor_required(user: User) -> bool:
    """Whether one of the person's roles requires two-factor sign-in."""
    return TwoFactorRequirement.objects.filter(required=True, role__user=user).exists()


def two_factor_enabled(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def app_enabled(user: User) -> bool:
    """Whether the person has an authenticator app set up (besides any security keys)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_roles() -> set[int]:
    return set(TwoFactorRequirement.objects.filter(required=True).values_list("role_id", flat=True))


def _bump_version(**kwargs) -> None:
    """A requirement, a role membership or a device changed: every session recomputes once."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, timeout=None)


def _bump_if_created(sender, instance, created, **kwargs) -> None:
    if created or sender is TwoFactorRequirement:
        _bump_version()


def _state(request: HttpRequest, user: User) -> str:
    # No version in the cache (never bumped, flushed, another cache): the saved state holds.
    version = cache.get(VERSION_KEY)
    saved = request.session.get(SESSION_KEY)
    if (
        isinstance(saved, dict)
        and saved.get("u") == user.pk
        and (version is None or saved.get("v") == version)
    ):
        return str(saved.get("s", ""))
    if two_factor_enabled(user):
        state = VERIFY
    elif two_factor_required(user):
        state = SETUP
    else:
        state = ""
    request.session[SESSION_KEY] = {"s": state, "v": version, "u": user.pk}
    return state


def _forget_state(request: HttpRequest | None) -> None:
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)


def is_verified(request: HttpRequest) -> bool:
    user = request.user
    return bool(getattr(user, "is_verified", lambda: False)())


class TwoFactorMiddleware:
    """Keep a signed-in person who still owes a second factor on the two-factor pages: the code
    page when they have a device, the set-up page when their role requires one. Pages redirect,
    the API (with a session; tokens are made after two-factor) answers 403 in the API's shape, a page's background requests an empty 403."""

    OPEN_URL_NAMES = (
        "accounts:two_factor_verify",
        "accounts:two_factor_setup",
        "accounts:two_factor_qr",
        "accounts:logout",
        "accounts:set_language",
        "health",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: set[str] | None = None

    def _is_open(self, path: str) -> bool:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in self.OPEN_URL_NAMES}
        # The security keys' ceremonies (accounts/webauthn.py) run before the session is verified.
        return (
            path in self._open_paths
            or path.startswith(str(settings.STATIC_URL))
            or path.startswith(WEBAUTHN_PATH)
        )

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or is_verified(request) or self._is_open(request.path):
            return self.get_response(request)
        if request.path.startswith("/api/") and request.headers.get("Authorization"):
            return self.get_response(request)
        state = _state(request, user)
        if not state:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            message = (
                _("Enter your two-factor code on the sign-in page first.")
                if state == VERIFY
                else _(
                    "Your role requires two-factor sign-in: set it up on your account page first."
                )
            )
            return JsonResponse({"detail": message, "errors": {}}, status=403)
        if request.headers.get("Sec-Fetch-Dest") == "empty" or request.headers.get("HX-Request"):
            # A page's background request (the header's bell, a card loaded after the page):
            # a redirect would put the whole two-factor page inside the page that asked.
            return HttpResponse(status=403)
        target = "accounts:two_factor_verify" if state == VERIFY else "accounts:two_factor_setup"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(reverse(target) + (f"?{query}" if query else ""))


# --- Set-up ---------------------------------------------------------------------------------------


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up (made on first call, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in (base32, in groups of four)."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[index : index + 4] for index in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> bytes:
    """The device's otpauth:// address as an SVG QR code, drawn here (no outside service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def _clean_code(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def totp_setup_confirm(*, user: User, code: str, request: HttpRequest) -> list[str]:
    """Turn two-factor on with the first code from the authenticator being set up.

    Returns the new recovery codes (shown once). The session counts as verified from now on.
    Raises ValidationError({"code": ...}) for a wrong code, which is logged
    (`two_factor_failed`, kept: the check runs outside the enabling transaction); writes
    `two_factor_enabled` on success.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise ValidationError({"code": [_("Start the set-up again: no authenticator is waiting.")]})
    allowed, _info = device.verify_is_allowed()
    if not allowed or not device.verify_token(_clean_code(code)):
        security_event_record(
            kind=SecurityEventKind.TWO_FACTOR_FAILED, user=user, request=request, during="set-up"
        )
        message = (
            _("That code is not right. Check the app's clock and try the next code.")
            if allowed
            else _("Too many wrong codes. Wait a minute, then enter a fresh code.")
        )
        raise ValidationError({"code": [message]})
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _new_recovery_codes(user)
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_ENABLED, user=user, request=request)
        transaction.on_commit(_bump_version)
    otp_login(request, device)
    _forget_state(request)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User, request: HttpRequest) -> list[str]:
    """New recovery codes for a person with two-factor on (the old ones stop working)."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(_("Turn two-factor sign-in on first."))
    codes = _new_recovery_codes(user)
    security_event_record(kind=SecurityEventKind.RECOVERY_CODES_CREATED, user=user, request=request)
    return codes


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- At sign-in ---------------------------------------------------------------------------------


def _matching_device(user: User, code: str):
    """The confirmed device the code belongs to, or None; and whether throttling refused it."""
    throttled = False
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.filter(user=user, confirmed=True).order_by("pk"):
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(code):
                return device, False
    return None, throttled


def two_factor_verify(*, user: User, code: str, request: HttpRequest, sign_in: bool = True):
    """Check a sign-in's second factor: a code from the app or one recovery code (used up).

    On success the session is verified (`django_otp.login`; not when `sign_in` is false: the
    API's password exchange, which has no session) and `two_factor_verified` or
    `recovery_code_used` is logged. A wrong code is logged (`two_factor_failed`) and raises
    ValidationError({"code": ...}); after each wrong code django-otp makes the person wait
    longer (doubling). The check and its failure row are not inside one transaction, so a
    refusal keeps both the row and the throttle's count.
    """
    cleaned = _clean_code(code)
    device, throttled = _matching_device(user, cleaned) if cleaned else (None, False)
    if device is None:
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_FAILED, user=user, request=request)
        if throttled:
            message = _("Too many wrong codes. Wait a minute, then enter a fresh code.")
        else:
            message = _(
                "That code is not right. Enter the current code from your app, or a recovery code."
            )
        raise ValidationError({"code": [message]})
    with transaction.atomic():
        if isinstance(device, StaticDevice):
            security_event_record(
                kind=SecurityEventKind.RECOVERY_CODE_USED,
                user=user,
                request=request,
                left=device.token_set.count(),
            )
        else:
            security_event_record(
                kind=SecurityEventKind.TWO_FACTOR_VERIFIED, user=user, request=request
            )
    if sign_in:
        otp_login(request, device)
        _forget_state(request)
    return device


def _devices_delete(user: User) -> None:
    for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
        model.objects.filter(user=user).delete()


def user_has_device_other_than(user: User, device) -> bool:
    """Whether the person keeps a way to give a second factor without `device` (recovery
    codes alone do not count)."""
    return any(
        other.persistent_id != device.persistent_id and not isinstance(other, StaticDevice)
        for other in devices_for_user(user, confirmed=True)
    )


@transaction.atomic
def two_factor_disable(*, user: User, actor: User, request: HttpRequest | None = None) -> None:
    """Turn two-factor off: every device and recovery code of the person deleted, logged.

    Raises ValidationError when one of the person's roles requires two-factor.
    """
    if two_factor_required(user):
        raise ValidationError(_("Your role requires two-factor sign-in, so it stays on."))
    _devices_delete(user)
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_DISABLED,
        user=user,
        actor=actor if actor.pk != user.pk else None,
        request=request,
    )
    if request is not None and hasattr(request, "session"):
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    _forget_state(request)
    transaction.on_commit(_bump_version)


def two_factor_reset(*, user: User, actor: User) -> None:
    """An administrator removes a person's devices (a lost phone); a required role then sends
    them to set-up at their next request."""
    with transaction.atomic():
        _devices_delete(user)
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_DISABLED, user=user, actor=actor)
        transaction.on_commit(_bump_version)


@transaction.atomic
def two_factor_requirement_set(*, role: Group, required: bool, actor: User) -> TwoFactorRequirement:
    """Require (or stop requiring) two-factor sign-in for everyone holding `role`; logged.
    Signed-in people of the role are sent to set-up at their next request."""
    requirement, _created = TwoFactorRequirement.objects.update_or_create(
        role=role, defaults={"required": required}
    )
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_REQUIREMENT,
        actor=actor,
        email=actor.email,
        role=role.name,
        required=required,
    )
    transaction.on_commit(_bump_version)
    return requirement


def _signed_in(sender, request, user, **kwargs) -> None:
    """Decide the new session's two-factor state at sign-in, so its requests need no query."""
    if request is not None and hasattr(request, "session"):
        _forget_state(request)
        _state(request, user)


def connect_signals() -> None:
    """Decide a session's two-factor state when it signs in; recompute every session's when what
    decides it changes (cache invalidation)."""
    from django.contrib.auth.signals import user_logged_in
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_logged_in.connect(_signed_in, dispatch_uid="accounts-two-factor-signed-in")
    from accounts.models import User

    for model in (TOTPDevice, StaticDevice, WebAuthnCredential, TwoFactorRequirement):
        # A device saves itself at every code checked: only a new or deleted one counts.
        post_save.connect(_bump_if_created, sender=model, dispatch_uid=f"2fa-save-{model.__name__}")
        post_delete.connect(_bump_version, sender=model, dispatch_uid=f"2fa-del-{model.__name__}")
    m2m_changed.connect(_bump_version, sender=User.groups.through, dispatch_uid="2fa-groups")
