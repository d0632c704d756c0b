"""django-allauth adapters: how a sign-in through an OpenID Connect or SAML provider becomes a
service desk account. allauth does the protocol (discovery, code exchange with PKCE, ID token
checks, SAML signatures); these adapters decide who the person is and what they may do.

- The person is matched by e-mail address (any case) or created; their provider groups are
  mapped to roles and support groups (`sso.services`).
- Whatever is wrong (no e-mail, groups that map to nothing, a switched-off account, a provider
  that is down, a token that fails its checks) sends them back to our sign-in page with a
  message; nothing is saved.
"""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from requests import RequestException

from accounts.security_log import security_event_record
from accounts.security_models import SecurityEventKind
from sso import errors
from sso.errors import SignInRefused
from sso.models import Source
from sso.services import Profile, profile_check, user_apply_profile, user_find_by_email

logger = logging.getLogger(__name__)

DEFAULT_GROUPS_CLAIM = "groups"
# ADFS sends group names under this claim type; Entra ID's SAML under the second.
DEFAULT_SAML_GROUP_ATTRIBUTES = [
    "http://schemas.xmlsoap.org/claims/Group",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "groups",
]
DEFAULT_SAML_NAME_ATTRIBUTES = [
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "urn:oid:2.16.840.1.113730.3.1.241",
    "displayName",
]


def back_to_login(request, message) -> HttpResponseRedirect:
    """Our sign-in page, showing `message`."""
    messages.error(request, message)
    return HttpResponseRedirect(reverse("accounts:login"))


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if item is not None]
    return [str(value)]


def profile_from_sociallogin(sociallogin) -> Profile:
    """Read e-mail, name and groups from what an OIDC provider (userinfo, else the ID token) or
    a SAML provider (the assertion's attributes) sent."""
    app_settings = sociallogin.provider.app.settings or {}
    data = sociallogin.account.extra_data or {}
    user = sociallogin.user
    email = (getattr(user, "email", "") or "").strip()
    if not email and sociallogin.email_addresses:
        email = sociallogin.email_addresses[0].email
    if sociallogin.account.provider == "saml":
        source = Source.SAML
        names = app_settings.get("groups_attribute") or DEFAULT_SAML_GROUP_ATTRIBUTES
        groups = [group for name in _as_list(names) for group in _as_list(data.get(name))]
        full_name = next(
            (
                _as_list(data.get(name))[0]
                for name in _as_list(app_settings.get("name_attribute"))
                or DEFAULT_SAML_NAME_ATTRIBUTES
                if _as_list(data.get(name))
            ),
            "",
        )
    else:
        source = Source.OIDC
        claims = {**(data.get("id_token") or {}), **(data.get("userinfo") or {})} or data
        groups = _as_list(claims.get(app_settings.get("groups_claim") or DEFAULT_GROUPS_CLAIM))
        full_name = claims.get("name") or " ".join(
            part for part in (claims.get("given_name"), claims.get("family_name")) if part
        )
        email = email or claims.get("email") or ""
    if not full_name:
        full_name = getattr(user, "full_name", "") or ""
    return Profile(source=source, email=email, full_name=str(full_name), groups=groups)


class AccountAdapter(DefaultAccountAdapter):
    """Our own sign-in page and account pages stay; allauth only finishes provider sign-ins."""

    def is_open_for_signup(self, request) -> bool:
        return False  # nobody signs up with a password; provider sign-ins use the social adapter

    def login(self, request, user) -> None:
        # allauth would pick the first backend with get_user (django-axes' one, which finds
        # nobody); the session must name the backend that loads people.
        if not hasattr(user, "backend"):
            user.backend = "accounts.backends.PeopleBackend"
        super().login(request, user)

    def get_login_redirect_url(self, request) -> str:
        return reverse(settings.LOGIN_REDIRECT_URL)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Match or create the person, map their groups, refuse with a message on the sign-in page."""

    def pre_social_login(self, request, sociallogin) -> None:
        profile = profile_from_sociallogin(sociallogin)
        try:
            grants = profile_check(profile=profile)
            user = sociallogin.user if sociallogin.is_existing else None
            user = user or user_find_by_email(email=profile.email)
            if user is not None and not user.is_active:
                raise SignInRefused(errors.INACTIVE)
            if user is None and not settings.SSO_CREATE_USERS:
                raise SignInRefused(errors.NOT_MAPPED)
        except SignInRefused as refused:
            logger.info("sso: refused %s from %s: %s", profile.email, profile.source, refused)
            security_event_record(
                kind=SecurityEventKind.SSO_REFUSED, email=profile.email, request=request,
                source=profile.source, reason=str(refused.message),
            )  # fmt: skip
            raise ImmediateHttpResponse(back_to_login(request, refused.message)) from None
        sociallogin.sso_profile, sociallogin.sso_grants = profile, grants
        if user is None:
            return  # a new person: allauth signs them up and calls save_user
        with transaction.atomic():
            if not sociallogin.is_existing:
                sociallogin.connect(request, user)
            user_apply_profile(user=user, profile=profile, grants=grants, actor=user)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return bool(settings.SSO_CREATE_USERS)

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").strip().lower()
        return user

    def save_user(self, request, sociallogin, form=None):
        """A new person: the account, their provider link, roles and support groups in one
        transaction."""
        with transaction.atomic():
            user = sociallogin.user
            profile, grants = sociallogin.sso_profile, sociallogin.sso_grants
            user_apply_profile(user=user, profile=profile, grants=grants, actor=user)
            return super().save_user(request, sociallogin, form)

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        name = getattr(provider, "name", "") or getattr(provider, "id", "")
        if error == AuthError.CANCELLED:
            message = errors.CANCELLED % {"provider": name}
        elif isinstance(exception, RequestException):
            message = errors.PROVIDER_DOWN % {"provider": name}
        elif exception is not None or (extra_context or {}).get("saml_errors"):
            message = errors.TOKEN_REJECTED % {"provider": name}
        else:
            message = errors.FAILED % {"provider": name}
        logger.warning("sso: sign-in with %s failed: %s %r", name, error, exception)
        if error != AuthError.CANCELLED:
            security_event_record(
                kind=SecurityEventKind.SSO_REFUSED, request=request, source=str(name),
                reason=str(message), error=f"{type(exception).__name__}" if exception else error,
            )  # fmt: skip
        raise ImmediateHttpResponse(back_to_login(request, message))
