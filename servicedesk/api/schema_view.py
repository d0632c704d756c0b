"""The OpenAPI schema as the API serves it: built once per release, language and format.

drf-spectacular builds the schema by walking every view and serializer: seconds of CPU for a
document that only changes with the code. It is kept in the cache under a digest of the source.
"""

import hashlib
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView


def release_fingerprint() -> str:
    """What identifies the running code: a digest of the project's Python source and of
    drf-spectacular's version, computed once per process."""
    global _fingerprint
    if _fingerprint is None:
        _fingerprint = source_digest(Path(settings.BASE_DIR))
    return _fingerprint


def source_digest(root: Path) -> str:
    digest = hashlib.sha256(metadata.version("drf-spectacular").encode())
    for top in sorted(root.iterdir()):
        if not top.is_dir() or top.name.startswith(".") or top.name in NOT_SOURCE:
            continue
        for path in sorted(top.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


NOT_SOURCE = {"var", "tests", "bench", "docs", "locale", "node_modules", "staticfiles"}
_fingerprint: str | None = None


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, built once per release, language and format and then served from the
    cache: building it takes seconds and it only changes with the code."""

    @extend_schema(exclude=True)  # SERVE_INCLUDE_SCHEMA is off: the schema does not list itself
    def get(self, request, *args, **kwargs):
        renderer, _media_type = self.perform_content_negotiation(request)
        language = request.GET.get("lang") or translation.get_language() or ""
        version = request.GET.get("version") or ""
        key = f"openapi:{release_fingerprint()}:{language}:{version}:{renderer.format}"
        cached = cache.get(key)
        if cached is None:
            response = self.finalize_response(request, super().get(request, *args, **kwargs))
            response.render()
            if response.status_code != 200:
                return response
            cached = (response.content, response["Content-Type"], response["Content-Disposition"])
            cache.set(key, cached, timeout=None)
        content, content_type, disposition = cached
        return HttpResponse(
            content, content_type=content_type, headers={"Content-Disposition": disposition}
        )
