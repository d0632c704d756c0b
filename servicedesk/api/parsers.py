"""The API's parsers: DRF's, with the limits every body obeys.

- a JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 (DRF reads the stream itself, so
  Django's own limit never applied to JSON);
- JSON nested deeper than `servicedesk.badinput.MAX_JSON_DEPTH` is a 400 (Python's decoder would
  otherwise recurse until it fails with a server error);
- a NUL character in any string or key, JSON or form, is a 400 naming the field.
"""

import codecs
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status
from rest_framework.utils.json import strict_constant

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

from servicedesk.badinput import (
    MAX_JSON_DEPTH,
    NUL,
    NUL_MESSAGE,
    TOO_DEEP_MESSAGE,
    nul_field,
    nul_in_querydict,
    too_deep,
)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def refuse_nul(field: str):
    raise exceptions.ValidationError({field: [NUL_MESSAGE]})


class JSONParser(parsers.JSONParser):
    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        # DRF's own charset check (text encodings only); newer than its published stubs.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP_MESSAGE % {"depth": self.max_depth}) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if too_deep(data, self.max_depth):
            raise exceptions.ParseError(TOO_DEEP_MESSAGE % {"depth": self.max_depth})
        field = nul_field(data)
        if field:
            refuse_nul(field)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        field = nul_in_querydict(data)
        if field:
            refuse_nul(field)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        # A MultiValueDict: items() gives each name's last file, as Django's own views see it.
        uploads = cast("Mapping[str, UploadedFile]", result.files)
        field = nul_in_querydict(result.data) or next(
            (key for key, upload in uploads.items() if NUL in (upload.name or "")), None
        )
        if field:
            refuse_nul(field)
        return result


DEFAULT_PARSERS = [JSONParser, FormParser, MultiPartParser]

__all__ = ["DEFAULT_PARSERS", "FormParser", "JSONParser", "MultiPartParser", "RequestTooLarge"]
