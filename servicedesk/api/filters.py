"""The API lists' filter backend: django-filter's, refusing query parameters nobody reads.

A misspelt filter (`?record_id=5` for `?object_id=5`) used to be silently ignored and answer the
whole list. A list now knows every parameter it reads: its FilterSet's fields, its pagination's
(`cursor`, `page_size`...), its other backends' (`ordering`, `search`), `format`, and the view's
own `query_parameters` (those it reads itself, e.g. the catalogue's `q`). Anything else is a 400
naming the parameter, in the API's error shape.
"""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import SuffixedMultiWidget
from rest_framework import exceptions
from rest_framework.settings import api_settings

PAGINATION_PARAMS = (
    "page_query_param",
    "page_size_query_param",
    "cursor_query_param",
    "limit_query_param",
    "offset_query_param",
)
BACKEND_PARAMS = ("ordering_param", "search_param")


def _is_list(view) -> bool:
    return getattr(view, "action", "list") == "list"


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if _is_list(view):
            unknown = sorted(set(request.query_params) - self.known_parameters(queryset, view))
            if unknown:
                message = _("Unknown query parameter. Known here: %(known)s.") % {
                    "known": ", ".join(sorted(self.known_parameters(queryset, view)))
                }
                raise exceptions.ValidationError({name: [message] for name in unknown})
        return super().filter_queryset(request, queryset, view)

    def known_parameters(self, queryset, view) -> set[str]:
        known = {api_settings.URL_FORMAT_OVERRIDE, *getattr(view, "query_parameters", ())}
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            for name, filter_ in filterset_class.base_filters.items():
                widget = filter_.field.widget
                if isinstance(widget, SuffixedMultiWidget):
                    known.update(widget.suffixed(name, suffix) for suffix in widget.suffixes)
                else:
                    known.add(name)
        paginator = getattr(view, "paginator", None)
        for attribute in PAGINATION_PARAMS:
            value = getattr(paginator, attribute, None)
            if value:
                known.add(value)
        for backend in view.filter_backends:
            for attribute in BACKEND_PARAMS:
                value = getattr(backend, attribute, None)
                if isinstance(value, str):
                    known.add(value)
        known.discard(None)
        return known
