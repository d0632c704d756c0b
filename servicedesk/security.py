"""Exceptions to the site-wide Content-Security-Policy (servicedesk/settings.py), each named.

The policy allows no inline script and no inline style anywhere. Two vendored libraries add one
<style> element of their own from JavaScript: Cytoscape.js (the CMDB graph) and Swagger UI (the
API docs). Only their pages allow that one element, by its hash; nothing else inline runs there.
When a library is upgraded, its hash changes: the browser tests fail and print the new one.
"""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView

CYTOSCAPE_STYLE = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"
SWAGGER_UI_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

allow_cytoscape_style = csp_update({"style-src": [CYTOSCAPE_STYLE]})


@method_decorator(csp_update({"style-src": [SWAGGER_UI_STYLE]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI, its script served from our static files (the split view), not inline."""
