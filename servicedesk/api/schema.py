"""The OpenAPI schema's one addition to drf-spectacular: the error answers every operation can give.

Operations declare their success answer (and, where they want a precise sentence, their errors);
`AutoSchema` adds, in the API's error shape, every error status the project's common machinery can
answer and the operation did not declare:
- 400: the operation takes a body or query parameters (bad input, an unknown parameter, a NUL
  character anywhere, JSON nested too deep);
- 401: the operation needs a signed-in caller (a missing or bad token);
- 403: the caller's role may not do this;
- 404: the URL names a record (it does not exist or is not shared with the caller);
- 409: the operation writes (the workflow refuses, or the version is stale);
- 413: the operation takes a body (larger than the limit);
- 429: the operation is throttled.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from servicedesk.api.serializers import ApiErrorSerializer

DESCRIPTIONS = {
    "400": "Bad input: see `errors` (a field, or a query parameter, that is not valid).",
    "401": "No valid token and no session: send `Authorization: Token <key>`.",
    "403": "Your role may not do this.",
    "404": "No such record, or it is not shared with you.",
    "409": "The workflow refuses the change, or the version is stale.",
    "413": "The request body is larger than the limit.",
    "429": "Too many attempts: wait before trying again.",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # An operation that lists its own errors has said which domain errors it gives: only the
        # common machinery's (bad input, sign-in, the URL, the size, throttling) are added.
        declared_errors = any(code >= "400" for code in responses)
        for code in self._error_codes():
            if declared_errors and code in ("403", "409"):
                continue
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ApiErrorSerializer, description=DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        view = self.view
        has_body = self.method in ("POST", "PUT", "PATCH")
        has_query = bool(self._get_filter_parameters() or self._get_pagination_parameters())
        has_query = has_query or any(
            getattr(p, "location", "") == "query" for p in self.get_override_parameters()
        )
        open_to_all = all(
            issubclass(p, AllowAny) if isinstance(p, type) else isinstance(p, AllowAny)
            for p in view.permission_classes
        )
        codes = []
        if has_body or has_query:
            codes.append("400")
        if not open_to_all or view.authentication_classes:
            codes.append("401")
        if not open_to_all:
            codes.append("403")
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITES:
            codes.append("409")
        if has_body:
            codes.append("413")
        if view.throttle_classes:
            codes.append("429")
        return codes
