"""One error shape for the whole API: {"detail": "...", "errors": {"field": ["..."]}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from servicedesk.exceptions import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": str(exc.message), "errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {"detail": _("Some fields need attention."), "errors": errors}
    elif isinstance(exc, Http404 | exceptions.NotFound):
        response.data = {"detail": _("Not found."), "errors": {}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"detail": str(detail), "errors": {}}
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data["detail"] = str(exc.detail)
    return response
