"""Bad input is refused before any view runs, and the API answers every error in JSON.

`BadInputMiddleware`, on every request:
- a NUL character in a query-string or form field (name or value) is a 400 naming the field: the
  API's JSON shape under /api/, the site's error page elsewhere (JSON bodies are checked by the
  API's parsers, `servicedesk.api.parsers`);
- a body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE (not counting multipart file uploads,
  which have their own limits) is a 413;
- under /api/, an error answer Django rendered as HTML (no URL pattern matched, a bad multipart
  body, a CSRF failure) becomes `{"detail": ..., "errors": {}}` with the same status.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

from servicedesk.badinput import NUL, NUL_MESSAGE, nul_in_querydict

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def error_detail(status: int) -> str:
    """The sentence for an error answer Django gave without one."""
    return {
        400: _("The request could not be read."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request body is too large."),
    }.get(status, _("Something went wrong on our side."))


def api_error(status: int, detail: str | None = None, errors: dict | None = None):
    return JsonResponse(
        {"detail": str(detail or error_detail(status)), "errors": errors or {}}, status=status
    )


def refuse(
    request, status: int, *, field: str | None = None, message: "str | StrPromise | None" = None
):
    """400/413 in the API's shape under /api/, the site's error page elsewhere."""
    if is_api(request):
        return api_error(
            status,
            _("Some fields need attention.") if field else None,
            {field: [str(message)]} if field else None,
        )
    context = {"message": message or error_detail(status), "field": field}
    return render(request, "400.html", context, status=status)


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.check(request)
        if response is None:
            response = self.get_response(request)
        if is_api(request) and response.status_code >= 400:
            response = self.as_json(response)
        return response

    def check(self, request):
        field = nul_in_querydict(request.GET)
        if field:
            return refuse(request, 400, field=field, message=NUL_MESSAGE)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        multipart = request.content_type == "multipart/form-data"
        if limit is not None and not multipart and _declared_length(request) > limit:
            return refuse(request, 413)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                field = nul_in_querydict(request.POST) or next(
                    (key for key, f in request.FILES.items() if NUL in (f.name or "")), None
                )
            except RequestDataTooBig:
                return refuse(request, 413)
            except MultiPartParserError:  # no or a bad boundary: Django would answer 400 too
                return refuse(request, 400)
            if field:
                return refuse(request, 400, field=field, message=NUL_MESSAGE)
        return None

    def as_json(self, response):
        if "json" in response.get("Content-Type", ""):
            return response
        if response.status_code >= 500 and settings.DEBUG:
            return response  # the traceback page is what a developer needs
        converted = api_error(response.status_code)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                converted[header] = response[header]
        return converted


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def background_requests_keep_the_csrf_cookie(get_response):
    """A page's background requests (htmx fragments, live polls: `Sec-Fetch-Dest: empty`) do
    not send the CSRF cookie back when it is the one the browser sent.

    Django re-sends the cookie whenever a response rendered a token, to renew its expiry. A
    background answer that arrives after a sign-in on the same browser (which rotates the
    secret) would then put the old secret back, and the next form posted fails its CSRF check.
    A new or rotated secret is still sent. Listed after CsrfViewMiddleware, so this runs on the
    response before it does.
    """

    def middleware(request):
        response = get_response(request)
        name = settings.CSRF_COOKIE_NAME
        held = request.COOKIES.get(name)
        if request.headers.get("Sec-Fetch-Dest") != "empty" or not held:
            return response
        if request.META.get("CSRF_COOKIE") == held:
            request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
            # A view's own csrf_protect (the sign-in page's) has set it already.
            if name in response.cookies and response.cookies[name].value == held:
                del response.cookies[name]
        return response

    return middleware
