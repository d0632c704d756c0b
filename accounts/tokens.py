"""Personal access tokens for the API: made, named, scoped (read or read-write), given an expiry
and revoked by their owner; the API's `Authorization: Token <secret>` checks them.

Only the SHA-256 of a secret is stored (secrets are 240 random bits, so a fast hash is as good as
a slow one, and the check stays one indexed look-up). The secret is shown once, when it is made.

Each process keeps the tokens it has checked, with their owners and permission sets, under a
generation token in the shared cache (as `servicedesk.memo` does for reference data), so a
busy integration's request costs one cache round trip instead of a query and another round
trip. Any save or delete of a token or a person draws a new generation (now and again after
the commit), and so does code that writes them in bulk (`forget_tokens`): a revoked token, or
the token of someone switched off, is refused by every process at its very next request.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS

from accounts import backends
from accounts.security_log import security_event_record
from accounts.security_models import AccessToken, SecurityEventKind, TokenScope

if TYPE_CHECKING:
    from accounts.models import User

SECRET_PREFIX = "sdt_"  # noqa: S105 - marks our tokens in logs and scanners; not a secret
SHOWN_PREFIX_LENGTH = 10
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 50
GENERATION_KEY = "tokens:generation"
KNOWN_TOKENS_KEPT = 1000  # per process; more distinct tokens than this and it starts afresh


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_list(*, user: User) -> QuerySet[AccessToken]:
    """The person's tokens, newest first (revoked and expired ones too, marked as such)."""
    return AccessToken.objects.filter(user=user).order_by("-created_at", "-id")


def _check_token_input(*, user: User, name: str, scope: str, expires_at: datetime | None) -> str:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the token a name, so you know later what uses it.")]
    elif len(name) > 100:
        errors["name"] = [_("Keep the name to 100 characters or fewer.")]
    if scope not in TokenScope.values:
        errors["scope"] = [_("Choose read only or read and write.")]
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = [_("The expiry must be in the future.")]
    elif expires_at is not None and expires_at > now + timedelta(days=settings.API_TOKEN_MAX_DAYS):
        errors["expires_at"] = [
            _("A token lasts at most %(days)d days.") % {"days": settings.API_TOKEN_MAX_DAYS}
        ]
    active = AccessToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        expires_at__lte=now
    )
    if active.count() >= MAX_ACTIVE_TOKENS:
        errors["name"] = [
            _("You have %(count)d tokens in use: revoke one you no longer need first.")
            % {"count": MAX_ACTIVE_TOKENS}
        ]
    if errors:
        raise ValidationError(errors)
    return name


@transaction.atomic
def token_create(
    *,
    user: User,
    actor: User,
    name: str,
    scope: str,
    expires_at: datetime | None,
    request: HttpRequest | None = None,
) -> tuple[AccessToken, str]:
    """Make a token for `user`; returns the row and the secret (shown once, never stored).

    Raises ValidationError naming the field (name, scope, expires_at) on bad input; nothing is
    saved then. Writes a `token_created` security event.
    """
    name = _check_token_input(user=user, name=name, scope=scope, expires_at=expires_at)
    secret = SECRET_PREFIX + secrets.token_urlsafe(30)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        key_hash=token_hash(secret),
        scope=scope,
        expires_at=expires_at,
    )
    security_event_record(
        kind=SecurityEventKind.TOKEN_CREATED,
        user=user,
        actor=actor if actor.pk != user.pk else None,
        request=request,
        token=token.pk,
        name=name,
        scope=scope,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return token, secret


def token_create_for_sign_in(*, user: User, request: HttpRequest | None = None) -> str:
    """The token the API's password exchange hands out: read-write, expiring after
    API_TOKEN_SIGN_IN_DAYS. Returns the secret."""
    _token, secret = token_create(
        user=user,
        actor=user,
        name=_("API sign-in"),
        scope=TokenScope.WRITE,
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_SIGN_IN_DAYS),
        request=request,
    )
    return secret


@transaction.atomic
def token_revoke(
    *, user: User, token_id: int, actor: User, request: HttpRequest | None = None
) -> AccessToken:
    """Revoke one of `user`'s tokens: it answers 401 from now on. Revoking twice is harmless.

    Raises AccessToken.DoesNotExist for a token that is not theirs (404 in the view).
    """
    token = AccessToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_event_record(
            kind=SecurityEventKind.TOKEN_REVOKED,
            user=user,
            actor=actor if actor.pk != user.pk else None,
            request=request,
            token=token.pk,
            name=token.name,
        )
    return token


def tokens_revoke_all(*, user: User, actor: User) -> int:
    """Revoke every token of `user` still in use (when they are anonymised or leave)."""
    now = timezone.now()
    revoked = AccessToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    forget_tokens()
    return revoked


# --- Each process's copy of the tokens it checked ---------------------------------------------


@dataclass
class _Known:
    generation: str
    token: AccessToken  # with its user
    # (permission generation, the owner's permission set) once read
    permissions: tuple[str, set[str]] | None = None


_known: dict[str, _Known] = {}


def forget_tokens(**_ignored) -> None:
    """Retire every process's copies of tokens and their owners: now, and again after the
    commit (a process that read the old rows in between must not keep them)."""
    retire_tokens()
    transaction.on_commit(retire_tokens)


def retire_tokens() -> None:
    """Retire every process's copies now (tests; callers outside a transaction)."""
    _known.clear()
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    for model in (AccessToken, get_user_model()):
        uid = f"accounts.tokens.{model._meta.label}"
        post_save.connect(forget_tokens, sender=model, dispatch_uid=uid)
        post_delete.connect(forget_tokens, sender=model, dispatch_uid=uid)


# Keys other apps want read in the token check's round trip, each with what takes its value
# (the kernel's reference-data generation, `servicedesk.memo`): registered by them, since
# accounts imports no app above it.
_riders: dict[str, Callable[[str | None], None]] = {}


def read_with_tokens(key: str, hand_over: Callable[[str | None], None]) -> None:
    _riders[key] = hand_over


def _generations() -> tuple[str, str | None]:
    """The tokens' generation and the permission sets' (`accounts.backends`), in one round trip
    that also reads the riders' keys for the request."""
    found = cache.get_many([GENERATION_KEY, backends.GENERATION_KEY, *_riders])
    for key, hand_over in _riders.items():
        hand_over(found.get(key))
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY) or generation
    return generation, found.get(backends.GENERATION_KEY)


def _checked_token(key_hash: str) -> tuple[AccessToken | None, _Known | None]:
    """The token with this hash and its owner, from this process's copy while no token or
    person changed since it was read."""
    generation, permissions_generation = _generations()
    known = _known.get(key_hash)
    if known is None or known.generation != generation:
        token = AccessToken.objects.select_related("user").filter(key_hash=key_hash).first()
        if token is None:
            return None, None
        if len(_known) >= KNOWN_TOKENS_KEPT:
            _known.clear()
        known = _known[key_hash] = _Known(generation=generation, token=token)
    token = copy.copy(known.token)  # each request its own objects: they are not shared
    token.user = copy.copy(known.token.user)
    if known.permissions is not None and known.permissions[0] == permissions_generation:
        # Where PeopleBackend keeps a person's set for the request.
        token.user._perm_cache = set(known.permissions[1])  # type: ignore[attr-defined]
    elif permissions_generation is not None and token.user.is_active:
        permissions = backends.PeopleBackend().get_all_permissions(token.user)
        known.permissions = (permissions_generation, set(permissions))
    return token, known


class AccessTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <secret>` with a personal access token.

    Refused with 401: an unknown, revoked or expired token, or one whose owner is switched off.
    Refused with 403: a read-only token on anything but GET, HEAD and OPTIONS. The last-used time
    is written at most once a minute per token and process; a token this process knows costs
    no query (see the module's docstring).
    """

    keyword = "Token"

    def authenticate(self, request) -> tuple[Any, AccessToken] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        token = result[1]
        if token.scope != TokenScope.WRITE and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                _("This token may only read: make a read and write token to change anything.")
            )
        return result

    def authenticate_credentials(self, key):
        token, known = _checked_token(token_hash(key))
        if token is None or known is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if not token.is_usable(now):
            security_event_record(
                kind=SecurityEventKind.TOKEN_REFUSED,
                user=token.user,
                token=token.pk,
                name=token.name,
            )
            if token.revoked_at is not None:
                raise exceptions.AuthenticationFailed(_("This token has been revoked."))
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = known.token.last_used_at = now
        return token.user, token
