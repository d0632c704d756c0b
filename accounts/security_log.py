"""The security log: one row per sign-in, failure, lock-out, two-factor, token, session and
personal-data event. Services write their own events in their transaction
(`security_event_record`); sign-ins, sign-outs, failures and lock-outs come from Django's and
django-axes' signals, connected in `AccountsConfig.ready()`.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.security_models import SecurityEvent, SecurityEventKind

if TYPE_CHECKING:
    from accounts.models import User


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address as the request carries it (a proxy's header is the proxy's concern)."""
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def client_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:255]


def security_event_record(
    *,
    kind: str,
    user: User | None = None,
    email: str = "",
    actor: User | None = None,
    request: HttpRequest | None = None,
    **detail: Any,
) -> SecurityEvent:
    """Write one security-log row. `email` defaults to the person's address (kept on the row so
    it still reads after the person is gone); `actor` is who acted when it was not the person
    (an administrator revoking a token); `detail` is any JSON-able context (a token's name)."""
    if kind not in SecurityEventKind.values:
        raise ValueError(f"unknown security event {kind!r}")
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        email=(email or (user.email if user is not None else ""))[:254],
        actor=actor,
        ip_address=client_address(request),
        user_agent=client_agent(request),
        detail={key: value for key, value in detail.items() if value is not None},
    )


def security_event_list(
    *,
    kind: str = "",
    email: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[SecurityEvent]:
    """The security log newest first, filtered; each filter matches an index."""
    events = SecurityEvent.objects.select_related("user", "actor").order_by("-created_at", "-id")
    if kind:
        events = events.filter(kind=kind)
    if email:
        events = events.filter(email__iexact=email.strip())
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return events


def _signed_in(sender, request, user, **kwargs):
    from accounts.sessions import session_register

    security_event_record(
        kind=SecurityEventKind.SIGNED_IN,
        user=user,
        request=request,
        backend=getattr(user, "backend", None),
    )
    if request is not None and hasattr(request, "session"):
        session_register(request=request, user=user)


def _signed_out(sender, request, user, **kwargs):
    from accounts.sessions import session_forget

    if user is None:
        return
    security_event_record(kind=SecurityEventKind.SIGNED_OUT, user=user, request=request)
    if request is not None and getattr(request, "session", None) is not None:
        session_forget(session_key=request.session.session_key)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    email = str(credentials.get("username") or credentials.get("email") or "").strip().lower()
    security_event_record(kind=SecurityEventKind.SIGN_IN_FAILED, email=email, request=request)


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    security_event_record(
        kind=SecurityEventKind.LOCKED_OUT, email=str(username or "")[:254], request=request
    )


def connect_signals() -> None:
    """Log sign-ins, sign-outs, failures and lock-outs (called once, from the app's ready())."""
    from axes.signals import user_locked_out

    user_logged_in.connect(_signed_in, dispatch_uid="accounts-security-signed-in")
    user_logged_out.connect(_signed_out, dispatch_uid="accounts-security-signed-out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="accounts-security-failed")
    user_locked_out.connect(_locked_out, dispatch_uid="accounts-security-locked-out")
