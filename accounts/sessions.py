"""A person's signed-in browsers: listed on their account page and signed out from there.

Django keeps the sessions (`SESSION_ENGINE`); `UserSession` adds who, when and from where, which
the session store cannot answer by person. Signing a session out deletes it from the store, so
the browser holding it is signed out at its next request.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.security_log import client_address, client_agent, security_event_record
from accounts.security_models import SecurityEventKind, UserSession

if TYPE_CHECKING:
    from accounts.models import User


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_register(*, request: HttpRequest, user: User) -> UserSession:
    """Remember the session a sign-in just started (the session is saved first if it is new)."""
    session = request.session
    if not session.session_key:
        session.save()
    row, _created = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "expires_at": session.get_expiry_date(),
            "ip_address": client_address(request),
            "user_agent": client_agent(request),
        },
    )
    return row


def session_forget(*, session_key: str | None) -> None:
    """Drop the row of a session that signed out (the store deletes the session itself)."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_list(*, user: User) -> list[UserSession]:
    """The person's sessions still in the session store and not expired, newest first (a person
    has a handful: one look-up in the store each)."""
    rows = UserSession.objects.filter(user=user, expires_at__gt=timezone.now()).order_by(
        "-created_at", "-id"
    )
    store = _store()()
    return [row for row in rows if store.exists(row.session_key)]


def session_rekey(*, old_key: str | None, request: HttpRequest, user: User) -> None:
    """The session got a new key (a password change cycles it): follow it."""
    session_forget(session_key=old_key)
    session_register(request=request, user=user)


@transaction.atomic
def session_revoke(
    *, user: User, session_id: int, actor: User, request: HttpRequest | None = None
) -> UserSession:
    """Sign one of `user`'s sessions out: deleted from the session store and from the list, a
    `session_revoked` event written. Raises UserSession.DoesNotExist for a session that is not
    theirs (the view answers 404)."""
    row = UserSession.objects.select_for_update().get(pk=session_id, user=user)
    _store()().delete(row.session_key)
    row.delete()
    security_event_record(
        kind=SecurityEventKind.SESSION_REVOKED,
        user=user,
        actor=actor if actor.pk != user.pk else None,
        request=request,
        started=row.created_at.isoformat(),
    )
    return row


@transaction.atomic
def session_revoke_all(
    *, user: User, actor: User, keep: str | None = None, request: HttpRequest | None = None
) -> int:
    """Sign out every session of `user` but `keep` (the current one); returns how many."""
    rows = list(
        UserSession.objects.select_for_update()
        .filter(user=user)
        .exclude(session_key=keep or "")
        .order_by("pk")
    )
    store = _store()()
    for row in rows:
        store.delete(row.session_key)
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    if rows:
        security_event_record(
            kind=SecurityEventKind.SESSION_REVOKED,
            user=user,
            actor=actor if actor.pk != user.pk else None,
            request=request,
            sessions=len(rows),
        )
    return len(rows)


def sessions_clear_expired() -> int:
    """Delete the rows of sessions that have expired (the beat clears the sessions themselves)."""
    deleted, _ = UserSession.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
