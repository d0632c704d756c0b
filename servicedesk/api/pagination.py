"""The API's one pagination: a keyset cursor on the list's full sort key.

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

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

Ordering = tuple[str, ...]


def _name(term: str) -> str:
    return term.lstrip("-")


def _descending(term: str) -> bool:
    return term.startswith("-")


def _reverse(ordering: Sequence[str]) -> Ordering:
    return tuple(term[1:] if _descending(term) else f"-{term}" for term in ordering)


def order_by(ordering: Sequence[str], nullable: frozenset[str] = frozenset()) -> list[Any]:
    """The ORDER BY of `ordering`, a null sorting before every value (on every database)."""
    terms: list[Any] = []
    for term in ordering:
        if _name(term) not in nullable:
            terms.append(term)
        elif _descending(term):
            terms.append(F(_name(term)).desc(nulls_last=True))
        else:
            terms.append(F(_name(term)).asc(nulls_first=True))
    return terms


def _beyond(term: str, value, nullable: bool) -> Q | None:
    """Rows whose `term` column sorts strictly after `value` (None: no row can)."""
    name = _name(term)
    if value is None:  # a null sorts first: after it ascending is every value, descending none
        return None if _descending(term) else Q(**{f"{name}__isnull": False})
    after = Q(**{f"{name}__{'lt' if _descending(term) else 'gt'}": value})
    if nullable and _descending(term):
        after |= Q(**{f"{name}__isnull": True})
    return after


def _equal(name: str, value) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def keyset_after(
    ordering: Sequence[str], values: Sequence[Any], nullable: frozenset[str] = frozenset()
) -> Q:
    """Rows strictly after `values` in `ordering` (the last column unique; nulls sort first).

    For ("-created_at", "-id") this is
        created_at <= c AND (created_at < c OR (created_at = c AND id < i)):
    the leading bound is an index range (inc_created_idx), the rest a filter on it.
    """
    condition: Q | None = None
    for term, value in reversed(list(zip(ordering, values, strict=True))):
        name = _name(term)
        beyond = _beyond(term, value, name in nullable)
        if condition is None:
            condition = beyond if beyond is not None else Q(pk__in=[])
        else:
            tie = _equal(name, value) & condition
            condition = tie if beyond is None else beyond | tie
    if condition is None:
        raise ImproperlyConfigured("An ordering needs at least one column.")
    first, value = ordering[0], values[0]
    if _name(first) in nullable or value is None:
        return condition
    bound = Q(**{f"{_name(first)}__{'lte' if _descending(first) else 'gte'}": value})
    return bound & condition


def _json_value(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


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
        self.nullable = frozenset(
            _name(term) for term in self.ordering if self.model._meta.get_field(_name(term)).null
        )
        reverse_, position = self.decode_cursor(request)
        ordering = _reverse(self.ordering) if reverse_ else self.ordering
        queryset = queryset.order_by(*order_by(ordering, self.nullable))
        if position is not None:
            queryset = queryset.filter(keyset_after(ordering, position, self.nullable))
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

    def decode_cursor(self, request: Request):
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
                None
                if value is None and _name(term) in self.nullable
                else self.model._meta.get_field(_name(term)).to_python(value)
                for term, value in zip(self.ordering, raw, strict=True)
            ]
            for term, value in zip(self.ordering, position, strict=True):
                if value is None and _name(term) not in self.nullable:
                    raise ValueError("a value is missing")
        except (
            AttributeError,
            TypeError,
            ValueError,  # includes UnicodeDecodeError and JSONDecodeError
            binascii.Error,
            DjangoValidationError,
        ):
            raise serializers.ValidationError(
                {self.cursor_query_param: [self.bad_cursor_message]}
            ) from None
        return reverse_, position

    def _link(self, instance, *, reverse_: bool) -> str:
        if instance is None and not reverse_:
            return remove_query_param(self.url, self.cursor_query_param)
        token: dict[str, Any] = {"o": ",".join(self.ordering)}
        if reverse_:
            token["r"] = 1
        if instance is not None:
            token["p"] = [_json_value(getattr(instance, _name(t))) for t in self.ordering]
        encoded = base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode())
        return replace_query_param(self.url, self.cursor_query_param, encoded.decode("ascii"))

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        # An empty page after a backward step: the list starts again from the beginning.
        return self._link(self.page[-1] if self.page else None, reverse_=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        # An empty page after a forward step (rows went away): the previous page is the last.
        return self._link(self.page[0] if self.page else None, reverse_=True)


def complete_ordering(model: type[models.Model], requested: Sequence[str]) -> Ordering:
    """`requested` without repeated columns, ending on a unique one (see KeysetCursorPagination).

    Raises ImproperlyConfigured for a column that is not a field of `model`: a view's mistake.
    """
    ordering: list[str] = []
    seen: set[str] = set()
    for term in requested:
        if isinstance(term, OrderBy) or not isinstance(term, str):
            raise ImproperlyConfigured(f"{model.__name__}: order the list by field names.")
        name = "id" if _name(term) == "pk" else _name(term)
        if name not in seen:
            seen.add(name)
            ordering.append(f"-{name}" if _descending(term) else name)
    fields: dict[str, models.Field] = {}
    for name in seen:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if not isinstance(field, models.Field):  # missing, or a reverse relation
            raise ImproperlyConfigured(
                f"{model.__name__} has no field {name!r} to order its list by."
            )
        fields[name] = field
    last = fields[_name(ordering[-1])]
    if not (last.primary_key or (last.unique and not last.null)):
        sign = "-" if _descending(ordering[-1]) else ""
        if "created_at" not in seen and _has_field(model, "created_at"):
            ordering.append(f"{sign}created_at")
        ordering.append(f"{sign}id")
    return tuple(ordering)


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True
