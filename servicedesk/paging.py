"""Keyset paging, the one way every list pages: the API's (servicedesk.api.pagination) and the
pages' queues (`page_of`: the incident queue, the task queue, the CMDB's CI list).

A list names its ordering; `complete_ordering` makes it a unique sort key (ties by `created_at`,
then the id); a page is one query on that key after the last row seen (`keyset_after`): no
OFFSET, no COUNT, an index range when an index matches the ordering. A cursor is the ordering's
name, the direction and the values of the row to continue from, in URL-safe base64; a cursor
made for another ordering, or made up, is refused (`BadCursor`).
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import OrderBy

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
    for name in seen:
        column(model, name)
    last_name = _name(ordering[-1])
    last, nullable = column(model, last_name)
    unique = LOOKUP_SEP not in last_name and (last.primary_key or last.unique)
    if not unique or nullable:
        sign = "-" if _descending(ordering[-1]) else ""
        if "created_at" not in seen and _has_field(model, "created_at"):
            ordering.append(f"{sign}created_at")
        ordering.append(f"{sign}id")
    return tuple(ordering)


def column(model: type[models.Model], name: str) -> tuple[models.Field, bool]:
    """The field a sort column names (`title`, or across foreign keys `assignee__full_name`)
    and whether it may be null (the field, or a foreign key on the way). Raises
    ImproperlyConfigured for anything else (a missing field, a reverse or many relation)."""
    current, nullable = model, False
    parts = name.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            field = None
        last = index == len(parts) - 1
        if not isinstance(field, models.Field) or field.many_to_many or field.one_to_many:
            raise ImproperlyConfigured(
                f"{model.__name__} has no column {name!r} to order its list by."
            )
        nullable = nullable or field.null
        if last:
            return field, nullable
        if field.related_model is None or not (field.many_to_one or field.one_to_one):
            raise ImproperlyConfigured(f"{model.__name__}: {name!r} does not follow a key.")
        current = field.related_model
    raise ImproperlyConfigured(f"{model.__name__}: an empty sort column.")


def value_attribute(name: str) -> str:
    """Where a page's row holds the value of a sort column: the field itself, or for a column
    across relations the annotation `keyset_page` adds."""
    return name if LOOKUP_SEP not in name else "keyset_" + name.replace(LOOKUP_SEP, "_0_")


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


class BadCursor(ValueError):
    """A cursor that was not made for this list and ordering."""


def encode_cursor(ordering: Sequence[str], row: models.Model | None, *, reverse: bool) -> str:
    """The cursor of the page after `row` (before it when `reverse`; None: from the end)."""
    token: dict[str, Any] = {"o": ",".join(ordering)}
    if reverse:
        token["r"] = 1
    if row is not None:
        token["p"] = [_json_value(getattr(row, value_attribute(_name(t)))) for t in ordering]
    encoded = base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode())
    return encoded.decode("ascii").rstrip("=")  # letters, digits, - and _: nothing to escape


def decode_cursor(
    model: type[models.Model], ordering: Sequence[str], encoded: str
) -> tuple[bool, list[Any] | None]:
    """(reverse, values of the row to continue from or None). Raises BadCursor."""
    nullable = nullable_columns(model, ordering)
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        token = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        reverse = bool(token.get("r", 0))
        if token.get("o") != ",".join(ordering):
            raise ValueError("the ordering changed")
        raw = token.get("p")
        if raw is None:
            return reverse, None
        if not isinstance(raw, list) or len(raw) != len(ordering):
            raise ValueError("wrong number of values")
        position = [
            None
            if value is None and _name(term) in nullable
            else _to_python(model, _name(term), value)
            for term, value in zip(ordering, raw, strict=True)
        ]
        for term, value in zip(ordering, position, strict=True):
            if value is None and _name(term) not in nullable:
                raise ValueError("a value is missing")
    except (
        AttributeError,
        TypeError,
        ValueError,  # includes UnicodeDecodeError and JSONDecodeError
        binascii.Error,
        DjangoValidationError,
    ) as error:
        raise BadCursor(str(error)) from None
    return reverse, position


def _to_python(model: type[models.Model], name: str, value: Any) -> Any:
    return column(model, name)[0].to_python(value)


def nullable_columns(model: type[models.Model], ordering: Sequence[str]) -> frozenset[str]:
    return frozenset(_name(term) for term in ordering if column(model, _name(term))[1])


@dataclass
class Page:
    """One page of rows in the list's order, and whether there are rows before and after."""

    rows: list[Any]
    ordering: tuple[str, ...]
    has_next: bool
    has_previous: bool

    @property
    def next_cursor(self) -> str:
        """ "" on the last page. After an empty page reached backwards: the list's start."""
        if not self.has_next:
            return ""
        return encode_cursor(self.ordering, self.rows[-1] if self.rows else None, reverse=False)

    @property
    def previous_cursor(self) -> str:
        """ "" on the first page. After an empty page reached forwards: the list's last page."""
        if not self.has_previous:
            return ""
        return encode_cursor(self.ordering, self.rows[0] if self.rows else None, reverse=True)


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    reverse: bool = False,
    position: Sequence[Any] | None = None,
    size: int,
) -> Page:
    """The `size` rows after `position` in `ordering` (a completed one), before it when
    `reverse`: one query of size + 1 rows."""
    nullable = nullable_columns(queryset.model, ordering)
    walk = _reverse(ordering) if reverse else ordering
    across = {value_attribute(_name(t)): F(_name(t)) for t in ordering if LOOKUP_SEP in t}
    if across:
        queryset = queryset.annotate(**across)
    queryset = queryset.order_by(*order_by(walk, nullable))
    if position is not None:
        queryset = queryset.filter(keyset_after(walk, position, nullable))
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
        return Page(rows, ordering, has_next=position is not None, has_previous=more)
    return Page(rows, ordering, has_next=more, has_previous=position is not None)


def page_of(queryset: QuerySet, *, ordering: Sequence[str], cursor: str = "", size: int) -> Page:
    """A page of a page's list (the queues): `cursor` from the page's `?cursor=`. A cursor
    that does not fit (another sort chosen meanwhile, a hand-edited address) starts again
    from the first page rather than failing."""
    complete = complete_ordering(queryset.model, ordering)
    reverse, position = False, None
    if cursor:
        try:
            reverse, position = decode_cursor(queryset.model, complete, cursor)
        except BadCursor:
            reverse, position = False, None
    return keyset_page(queryset, ordering=complete, reverse=reverse, position=position, size=size)
