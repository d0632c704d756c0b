"""The provider endpoints: django-allauth's OpenID Connect and SAML views, each behind one guard
that turns a provider that does not answer (or answers nonsense) into a message on our sign-in
page instead of an error page."""

from __future__ import annotations

import functools
import logging

from allauth.socialaccount.providers.openid_connect import views as oidc
from allauth.socialaccount.providers.saml import views as saml
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect
from django.urls import reverse
from requests import RequestException

from accounts.security_log import security_event_record
from accounts.security_models import SecurityEventKind
from sso import errors
from sso.adapter import back_to_login
from sso.selectors import provider_name

logger = logging.getLogger(__name__)


def _guarded(view, *, start=False):
    """`view` with a provider outage shown on the sign-in page. A sign-in is started by the
    button's POST only (`start`): a GET of that address goes back to the sign-in page."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if start and request.method != "POST":
            return HttpResponseRedirect(reverse("accounts:login"))
        try:
            return view(request, *args, **kwargs)
        except (RequestException, OSError, ImproperlyConfigured, ValueError) as error:
            name = provider_name(**kwargs)
            logger.warning("sso: %s could not be reached: %r", name, error)
            message = errors.PROVIDER_DOWN % {"provider": name}
            security_event_record(
                kind=SecurityEventKind.SSO_REFUSED, request=request, source=str(name),
                reason=str(message), error=type(error).__name__,
            )  # fmt: skip
            return back_to_login(request, message)

    return guarded


oidc_login = _guarded(oidc.login, start=True)
oidc_callback = _guarded(oidc.callback)
saml_login = _guarded(saml.login, start=True)
saml_acs = _guarded(saml.acs)
saml_finish_acs = _guarded(saml.finish_acs)
saml_sls = _guarded(saml.sls)
saml_metadata = _guarded(saml.metadata)
