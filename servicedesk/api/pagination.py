"""Cursor pagination: DRF's, with a bad cursor answered as bad input (400 on `cursor`), not 404;
and the keyset cursor on the full sort key that the record lists share."""

import base64
import binascii
import json
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, serializers
from rest_framework.utils.urls import remove_query_param, replace_query_param


class CursorPagination(pagination.CursorPagination):
    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({self.cursor_query_param: [error.detail]}) from None


# --- Keyset pagination --------------------------------------------------------------------------


def keyset_after(ordering, values) -> Q:
    """Rows strictly after `values` in `ordering` (non-null fields; the last one unique).

    For ("-created_at", "-id") this is
        created_at <= c AND (created_at < c OR (created_at = c AND id < i)):
    the leading bound is an index range (inc_created_idx), the rest a filter on it.
    """
    condition = None
    for term, value in reversed(list(zip(ordering, values, strict=True))):
        name = term.lstrip("-")
        beyond = Q(**{f"{name}__{'lt' if term.startswith('-') else 'gt'}": value})
        condition = beyond if condition is None else beyond | (Q(**{name: value}) & condition)
    first = ordering[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return bound & condition


def _reverse(ordering):
    return tuple(term[1:] if term.startswith("-") else f"-{term}" for term in ordering)


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class KeysetCursorPagination(pagination.CursorPagination):
    """Cursor pagination on the full sort key, whatever the `ordering` asked for.

    DRF's CursorPagination keeps only the first ordering field in its cursor and an offset for
    ties, capped at 1,000: ordering a million incidents by priority would repeat pages. Here the
    ordering always ends on a unique column (created_at and the id are appended), the cursor
    carries the value of every ordering column, and the next page is one keyset query: no OFFSET,
    no COUNT. The cursor names its ordering; a cursor used with another ordering is a 400.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")
    unique_fields = ("id", "number")
    invalid_cursor_message = _(
        "This cursor does not belong to this list and ordering; start again without it."
    )

    def get_ordering(self, request, queryset, view):
        ordering, seen = [], set()
        for term in super().get_ordering(request, queryset, view):
            name = term.lstrip("-")
            if name not in seen:
                seen.add(name)
                ordering.append(term)
        if ordering[-1].lstrip("-") not in self.unique_fields:
            # Ties go oldest (or newest) first, then by id: the queue indexes end on created_at
            # (priority, created_at), (status, created_at)...; the id makes the key unique.
            sign = "-" if ordering[-1].startswith("-") else ""
            if "created_at" not in seen:
                ordering.append(f"{sign}created_at")
            ordering.append(f"{sign}id")
        return tuple(ordering)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.model = queryset.model
        reverse_, position = self.decode_cursor(request)
        ordering = _reverse(self.ordering) if reverse_ else self.ordering
        queryset = queryset.order_by(*ordering)
        if position is not None:
            queryset = queryset.filter(keyset_after(ordering, position))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse_:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def decode_cursor(self, request):
        """(reverse, position values or None) from the `cursor` parameter; 400 when it is bad."""
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return False, None
        try:
            token = json.loads(base64.urlsafe_b64decode(encoded.encode("ascii")))
            reverse_ = bool(token.get("r", 0))
            if token.get("o") != ",".join(self.ordering):
                raise ValueError("the ordering changed")
            raw = token.get("p")
            if raw is None:
                return reverse_, None
            if not isinstance(raw, list) or len(raw) != len(self.ordering):
                raise ValueError("wrong number of values")
            position = [
                self.model._meta.get_field(term.lstrip("-")).to_python(value)
                for term, value in zip(self.ordering, raw, strict=True)
            ]
        except (
            AttributeError,
            TypeError,
            ValueError,  # includes UnicodeDecodeError and JSONDecodeError
            binascii.Error,
            DjangoValidationError,
        ):
            raise serializers.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        return reverse_, position

    def _link(self, instance, *, reverse_: bool):
        if instance is None and not reverse_:
            return remove_query_param(self.base_url, self.cursor_query_param)
        token = {"o": ",".join(self.ordering)}
        if reverse_:
            token["r"] = 1
        if instance is not None:
            token["p"] = [_json_value(getattr(instance, t.lstrip("-"))) for t in self.ordering]
        encoded = base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode())
        return replace_query_param(self.base_url, self.cursor_query_param, encoded.decode("ascii"))

    def get_next_link(self):
        if not self.has_next:
            return None
        # An empty page after a backward step: the list starts again from the beginning.
        return self._link(self.page[-1] if self.page else None, reverse_=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        # An empty page after a forward step (rows went away): the previous page is the last.
        return self._link(self.page[0] if self.page else None, reverse_=True)
