"""The API's one pagination: a keyset cursor on the list's full sort key (servicedesk.paging).

Every list of the API pages this way (`REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]`). A view says
how its list is sorted in one place, its `ordering` attribute (and, with an `OrderingFilter`,
which `ordering_fields` a caller may choose instead); the pagination completes that ordering into
a unique key, and the answer is always `{"next", "previous", "results"}`. A list that is one
record's own rows (its comments, timeline or links) is not paged: `pagination_class = None`.

Why not DRF's CursorPagination: it keeps only the first ordering field in its cursor and an
offset for ties, capped at 1,000, so ordering a million incidents by priority would repeat pages.
Here the cursor carries the value of every ordering column and the next page is one keyset query
on them: no OFFSET, no COUNT, an index range when an index matches the ordering.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from servicedesk.paging import (
    BadCursor,
    Ordering,
    complete_ordering,
    decode_cursor,
    keyset_after,
    keyset_page,
)

__all__ = ["KeysetCursorPagination", "complete_ordering", "keyset_after"]


class KeysetCursorPagination(pagination.CursorPagination):
    """Keyset cursor pagination on the view's ordering, completed into a unique sort key.

    The ordering is, first found: the view's `OrderingFilter` (the caller's `?ordering=`), the
    view's `ordering` attribute, this class's `ordering`. Its columns must be fields of the model
    (no lookups across relations). Unless its last column is unique, ties go by `created_at`
    (when the model has one and it is not sorted on already: the record indexes end on it) and
    then by the id, in the direction of the last column. The cursor names the ordering it was
    made for: a cursor used with another ordering, or a made-up one, is a 400 on `cursor`.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering: Any = ("-id",)
    bad_cursor_message = _(
        "This cursor does not belong to this list and ordering; start again without it."
    )

    def get_ordering(self, request, queryset, view) -> Ordering:
        requested: Any = None
        for backend in getattr(view, "filter_backends", None) or ():
            if hasattr(backend, "get_ordering"):
                requested = backend().get_ordering(request, queryset, view)
                break
        if not requested:
            requested = getattr(view, "ordering", None) or self.ordering
        if isinstance(requested, str):
            requested = (requested,)
        return complete_ordering(queryset.model, requested)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request) or KeysetCursorPagination.page_size
        self.url = self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.model = queryset.model
        reverse, position = self.decode_cursor(request)
        self.keyset = keyset_page(
            queryset, ordering=self.ordering, reverse=reverse, position=position,
            size=self.page_size,
        )  # fmt: skip
        self.page = self.keyset.rows
        self.has_next, self.has_previous = self.keyset.has_next, self.keyset.has_previous
        self.display_page_controls = self.has_next or self.has_previous
        return self.keyset.rows

    def decode_cursor(self, request: Request):
        """(reverse, position values or None) from the `cursor` parameter; 400 when it is bad."""
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return False, None
        try:
            return decode_cursor(self.model, self.ordering, encoded)
        except BadCursor:
            raise serializers.ValidationError(
                {self.cursor_query_param: [self.bad_cursor_message]}
            ) from None

    def get_next_link(self) -> str | None:
        cursor = self.keyset.next_cursor
        if not cursor:
            return None
        if not self.keyset.rows:  # an empty page after a backward step: start again
            return remove_query_param(self.url, self.cursor_query_param)
        return replace_query_param(self.url, self.cursor_query_param, cursor)

    def get_previous_link(self) -> str | None:
        cursor = self.keyset.previous_cursor
        return replace_query_param(self.url, self.cursor_query_param, cursor) if cursor else None
