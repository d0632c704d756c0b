"""My account: two-factor sign-in, personal access tokens and signed-in sessions (thin views over
accounts.mfa, accounts.tokens and accounts.sessions)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import mfa, sessions, tokens, webauthn
from accounts.security_forms import CodeForm, SetupCodeForm, TokenCreateForm
from accounts.security_models import AccessToken, UserSession

NEW_CODES_KEY = "accounts_new_recovery_codes"
NEW_TOKEN_KEY = "accounts_new_token"  # noqa: S105 - a session key, not a secret


def _next_url(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- Two-factor -----------------------------------------------------------------------------------


@login_required
def security(request):
    user = request.user
    context = {
        "account_tab": "security",
        "enabled": mfa.two_factor_enabled(user),
        "required": mfa.two_factor_required(user),
        "codes_left": mfa.recovery_codes_left(user=user),
        "app_enabled": mfa.app_enabled(user),
        "security_keys": webauthn.security_keys_of(user),
    }
    return render(request, "accounts/security/security.html", context)


@require_POST
@login_required
def security_key_remove(request, pk: int):
    from django_otp_webauthn.models import WebAuthnCredential

    try:
        webauthn.security_key_remove(user=request.user, key_id=pk, request=request)
    except WebAuthnCredential.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The security key is removed."))
    return redirect("accounts:security")


@never_cache
@login_required
def two_factor_setup(request):
    """Step 1: scan the QR code (or type the secret); step 2: confirm with the first code."""
    user = request.user
    if mfa.app_enabled(user):
        messages.info(request, _("Two-factor sign-in is already on."))
        return redirect("accounts:security")
    device = mfa.totp_device_pending(user=user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_setup_confirm(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            request.session[NEW_CODES_KEY] = codes
            request.session["accounts_after_codes"] = _next_url(request, "")
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("accounts:recovery_codes")
    return render(
        request,
        "accounts/security/setup.html",
        {
            "account_tab": "security",
            "form": form,
            "secret": mfa.totp_secret(device),
            "required": mfa.two_factor_required(user),
            "next": _next_url(request, ""),
            "security_keys": webauthn.security_keys_of(user),
        },
    )


@never_cache
@login_required
def two_factor_qr(request):
    """The QR code of the authenticator being set up, as SVG (drawn by the app, not a service)."""
    if mfa.two_factor_enabled(request.user):
        raise Http404
    device = mfa.totp_device_pending(user=request.user)
    return HttpResponse(mfa.totp_qr_svg(device), content_type="image/svg+xml")


@never_cache
@login_required
def recovery_codes(request):
    """The recovery codes just made, shown once."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    if not codes:
        return redirect("accounts:security")
    return render(
        request,
        "accounts/security/recovery_codes.html",
        {
            "account_tab": "security",
            "codes": codes,
            "continue_url": request.session.pop("accounts_after_codes", "") or None,
        },
    )


@require_POST
@login_required
def recovery_codes_regenerate(request):
    try:
        request.session[NEW_CODES_KEY] = mfa.recovery_codes_regenerate(
            user=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accounts:security")
    messages.success(request, _("New recovery codes are made; the old ones no longer work."))
    return redirect("accounts:recovery_codes")


@require_POST
@login_required
def two_factor_disable(request):
    try:
        mfa.two_factor_disable(user=request.user, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:security")


@never_cache
@login_required
def two_factor_verify(request):
    """After the password: the code from the app, or a recovery code."""
    if mfa.is_verified(request) or not mfa.two_factor_enabled(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.two_factor_verify(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if device.name == mfa.RECOVERY_DEVICE_NAME:
                messages.warning(
                    request,
                    _("You used a recovery code; it will not work again. %(left)d left.")
                    % {"left": mfa.recovery_codes_left(user=request.user)},
                )
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/security/verify.html",
        {
            "form": form,
            "next": _next_url(request, ""),
            "has_security_key": webauthn.security_keys_of(request.user).exists(),
        },
    )


# --- Tokens ---------------------------------------------------------------------------------------


@never_cache
@login_required
def token_list(request):
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = tokens.token_create(
                user=request.user,
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            request.session[NEW_TOKEN_KEY] = {"id": token.pk, "secret": secret}
            messages.success(request, _("Token “%(name)s” is made.") % {"name": token.name})
            return redirect("accounts:tokens")
    new = request.session.pop(NEW_TOKEN_KEY, None)
    return render(
        request,
        "accounts/security/tokens.html",
        {
            "account_tab": "tokens",
            "form": form,
            "tokens": tokens.token_list(user=request.user)[:100],
            "new_token": new,
        },
    )


@require_POST
@login_required
def token_revoke(request, pk: int):
    try:
        token = tokens.token_revoke(
            user=request.user, token_id=pk, actor=request.user, request=request
        )
    except AccessToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


# --- Sessions -------------------------------------------------------------------------------------


@login_required
def session_list(request):
    return render(
        request,
        "accounts/security/sessions.html",
        {
            "account_tab": "sessions",
            "sessions": sessions.session_list(user=request.user),
            "current_key": request.session.session_key,
        },
    )


@require_POST
@login_required
def session_revoke(request, pk: int):
    try:
        row = UserSession.objects.get(pk=pk, user=request.user)
    except UserSession.DoesNotExist:
        raise Http404 from None
    if row.session_key == request.session.session_key:
        messages.info(request, _("To end this session, sign out."))
        return redirect("accounts:sessions")
    sessions.session_revoke(user=request.user, session_id=pk, actor=request.user, request=request)
    messages.success(request, _("That session is signed out."))
    return redirect("accounts:sessions")


@require_POST
@login_required
def session_revoke_others(request):
    count = sessions.session_revoke_all(
        user=request.user, actor=request.user, keep=request.session.session_key, request=request
    )
    messages.success(
        request,
        ngettext(
            "%(count)d other session signed out.", "%(count)d other sessions signed out.", count
        )
        % {"count": count},
    )
    return redirect("accounts:sessions")
