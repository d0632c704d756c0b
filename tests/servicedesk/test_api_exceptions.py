"""One error shape for the whole API: {"detail": "...", "errors": {"field": ["..."]}}."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from servicedesk.api.exceptions import exception_handler
from servicedesk.exceptions import ApplicationError, StaleVersion, TransitionNotAllowed


def handle(exc):
    return exception_handler(exc, {"view": None, "request": None})


def test_domain_errors_keep_their_status_and_message():
    response = handle(TransitionNotAllowed("A record cannot go from “New” to “Closed”."))
    assert response.status_code == 409
    assert response.data == {"detail": "A record cannot go from “New” to “Closed”.", "errors": {}}


def test_a_stale_version_explains_what_to_do():
    response = handle(StaleVersion())
    assert response.status_code == 409
    assert response.data["detail"].startswith("Somebody else changed this record")
    assert response.data["errors"] == {}


def test_application_errors_carry_field_errors():
    response = handle(ApplicationError(errors={"title": ["Too short."]}))
    assert response.status_code == 400
    assert response.data == {
        "detail": "The request could not be completed.",
        "errors": {"title": ["Too short."]},
    }


def test_django_validation_errors_become_field_errors():
    response = handle(DjangoValidationError({"title": ["This field cannot be blank."]}))
    assert response.status_code == 400
    assert response.data == {
        "detail": "Some fields need attention.",
        "errors": {"title": ["This field cannot be blank."]},
    }


def test_a_django_validation_error_without_a_field_is_a_non_field_error():
    response = handle(DjangoValidationError("The dates overlap."))
    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["The dates overlap."]}


def test_drf_validation_errors_get_the_same_shape():
    response = handle(exceptions.ValidationError(["Bad payload."]))
    assert response.status_code == 400
    assert response.data == {
        "detail": "Some fields need attention.",
        "errors": {"non_field_errors": ["Bad payload."]},
    }


@pytest.mark.parametrize("exc", [Http404("secret path"), exceptions.NotFound("secret id")])
def test_not_found_never_echoes_what_was_looked_for(exc):
    response = handle(exc)
    assert response.status_code == 404
    assert response.data == {"detail": "Not found.", "errors": {}}


def test_permission_errors_keep_their_detail():
    response = handle(exceptions.PermissionDenied("Agents only."))
    assert response.status_code == 403
    assert response.data == {"detail": "Agents only.", "errors": {}}


def test_throttling_says_when_to_come_back():
    response = handle(exceptions.Throttled(wait=42))
    assert response.status_code == 429
    assert "42 seconds" in response.data["detail"]
    assert response.data["errors"] == {}


def test_unexpected_errors_are_left_to_django():
    assert handle(RuntimeError("boom")) is None
