"""Signing in with the directory's password: django-auth-ldap finds the entry by e-mail address
and binds as it; `sso.services.directory_entry_apply` then brings the person in exactly as the
sync does (roles, support groups, manager, department, organisation), in one transaction with
the account's creation. A refusal or an unreachable directory is shown on the sign-in page."""

from __future__ import annotations

import ldap
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_auth_ldap.backend import LDAPBackend, ldap_error
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, NestedActiveDirectoryGroupType

from accounts.security_log import security_event_record
from accounts.security_models import SecurityEventKind
from sso import errors
from sso.directory import Entry, entry_attrs
from sso.errors import SignInRefused
from sso.models import DirectoryAccount

SIGN_IN_ERROR = "sso_sign_in_error"  # the request attribute the sign-in form shows


def sign_in_error_set(request, message) -> None:
    if request is not None:
        setattr(request, SIGN_IN_ERROR, str(message))


def _directory_down(sender, context, user, request, exception, **kwargs):
    if context in {"authenticate", "search_for_user_dn"} and isinstance(
        exception, ldap.SERVER_DOWN | ldap.TIMEOUT
    ):
        sign_in_error_set(request, errors.DIRECTORY_DOWN)


ldap_error.connect(_directory_down, dispatch_uid="sso-directory-down")


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap configured from our LDAP_* settings (docs/sso.md)."""

    @property
    def default_settings(self):  # type: ignore[override]
        email = settings.LDAP_ATTRIBUTES["email"]
        timeout = settings.LDAP_TIMEOUT
        return {
            "SERVER_URI": settings.LDAP_SERVER_URI,
            "BIND_DN": settings.LDAP_BIND_DN,
            "BIND_PASSWORD": settings.LDAP_BIND_PASSWORD,
            "START_TLS": settings.LDAP_START_TLS,
            "CONNECTION_OPTIONS": {
                ldap.OPT_REFERRALS: 0,
                ldap.OPT_NETWORK_TIMEOUT: timeout,
                ldap.OPT_TIMEOUT: timeout,
            },
            "USER_SEARCH": LDAPSearch(
                settings.LDAP_USER_BASE,
                ldap.SCOPE_SUBTREE,
                f"(&{settings.LDAP_USER_FILTER}({email}=%(user)s))",
                ["*", settings.LDAP_ATTRIBUTES["id"]],
            ),
            "GROUP_SEARCH": LDAPSearch(
                settings.LDAP_GROUP_BASE or settings.LDAP_USER_BASE,
                ldap.SCOPE_SUBTREE,
                settings.LDAP_GROUP_FILTER,
            ),
            "GROUP_TYPE": (
                NestedActiveDirectoryGroupType()
                if "(objectclass=group)" in settings.LDAP_GROUP_FILTER.lower()
                else GroupOfNamesType()
            ),
            "ALWAYS_UPDATE_USER": False,
            "FIND_GROUP_PERMS": False,
        }

    def get_or_build_user(self, username, ldap_user):
        """The person of this entry by its directory id first (their address may have changed),
        then by e-mail address, else a new one (saved by `directory_entry_apply`)."""
        entry = self._entry(ldap_user)
        account = (
            DirectoryAccount.objects.select_related("user")
            .filter(external_id=entry.external_id)
            .first()
        )
        if account is not None:
            return account.user, False
        return super().get_or_build_user(username, ldap_user)

    def authenticate_ldap_user(self, ldap_user, password):
        from sso.services import directory_entry_apply

        request = ldap_user._request
        try:
            with transaction.atomic():
                user = ldap_user.authenticate(password)
                if user is None:
                    return None
                entry = self._entry(ldap_user)
                if entry.disabled:
                    raise SignInRefused(errors.INACTIVE)
                outcome = directory_entry_apply(entry=entry, actor=user, user=user)
                if not outcome.user.is_active:
                    raise SignInRefused(errors.INACTIVE)
                return outcome.user
        except SignInRefused as refused:
            security_event_record(
                kind=SecurityEventKind.SSO_REFUSED, email=getattr(ldap_user, "_username", ""),
                request=request, source="ldap", reason=str(refused.message),
            )  # fmt: skip
            sign_in_error_set(request, refused.message)
            raise PermissionDenied(str(refused.message)) from None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def _entry(self, ldap_user) -> Entry:
        from sso import directory

        groups = [*ldap_user.group_dns, *ldap_user.group_names]
        disabled = False
        if settings.LDAP_DISABLED_FILTER:
            disabled = directory.is_disabled(ldap_user.connection, ldap_user.dn)
        return Entry(
            dn=ldap_user.dn.lower(),
            attrs=entry_attrs(dict(ldap_user.attrs)),
            groups=[group.lower() for group in groups],
            disabled=disabled,
        )
