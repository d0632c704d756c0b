"""Writing many new rows at once, faster than `bulk_create` where it counts (the SLA sweep).

`bulk_create` builds a model instance per row, prepares every value through each field's full
conversion chain and reads the new ids back; for a sweep batch of a thousand firings, timeline
events and e-mails that took longer than the database. `insert_rows` takes instances or plain
dicts (attribute name -> value; the other fields take their defaults), sends the values in one
`COPY ... FROM STDIN` on PostgreSQL (the rows as COPY's text format, written by plain string
formatting: `execute_values` quoted every value through psycopg2 one by one, a third of a sweep's
Python), converting only the fields that need it (JSON), and reads nothing back. On other
databases it is `bulk_create`. Loads whose rows need their ids (an import's records, for their
timeline rows) take them first with `reserve_ids` and write them `with_ids`.

`stored_as_given` lets a bulk load (the demo data, imports) keep the times it gives.
"""

import io
import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

# Fields whose Python value psycopg2 sends as it is.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateTimeField,
    models.ForeignKey,
)


def insert_rows(
    model: type[models.Model],
    rows: Iterable[models.Model | Mapping[str, Any]],
    *,
    with_ids: bool = False,
) -> int:
    """Write `rows` of `model` in one COPY (elsewhere `bulk_create`); returns how many. The
    ids the database numbers stay unset, unless the rows bring them (`with_ids`, after
    `reserve_ids`); a key the row owns (a one-to-one key) is always sent. An `auto_now` or
    `auto_now_add` field left empty is stamped now; a time the row gives is kept."""
    if connection.vendor != "postgresql":
        instances = [_instance(model, row) for row in rows]
        model._default_manager.bulk_create(instances, batch_size=2000)
        return len(instances)
    fields = [f for f in model._meta.concrete_fields if with_ids or not _generated(f)]
    plan = [_column_plan(field) for field in fields]
    buffer = io.StringIO()
    count = 0
    for given in rows:
        if isinstance(given, Mapping):
            line = _dict_line(given, plan)
        else:
            line = []
            for (attname, convert, _fixed, _default, stamped), field in zip(
                plan, fields, strict=True
            ):
                if stamped and getattr(given, attname, None) is None:
                    field.pre_save(given, add=True)
                line.append(convert(getattr(given, attname)))
        buffer.write("\t".join(line))
        buffer.write("\n")
        count += 1
    if not count:
        return 0
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
    return count


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` new primary keys of `model` from its sequence (PostgreSQL), for rows written
    `with_ids` whose ids are needed (an import's records, for their timeline rows); None
    elsewhere."""
    if connection.vendor != "postgresql" or not count:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _generated(field: models.Field) -> bool:
    """A primary key the database numbers (a key given by the row, as a one-to-one key, is
    sent)."""
    return field.primary_key and isinstance(field, AutoFieldMixin)


def _column_plan(field: models.Field) -> tuple:
    """How `insert_rows` writes one column, worked out once per call: (attname, value -> COPY
    text, the text of a constant default or None, the default's maker, stamped when empty)."""
    convert: Callable[[Any], str]
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def convert(value):
            return "\\N" if value is None else _copy_text(json.dumps(value, cls=encoder))
    elif isinstance(field, _PLAIN):
        convert = _copy_text
    else:

        def convert(value):
            return _copy_text(field.get_db_prep_save(value, connection))

    stamped = bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    fixed = None
    if not stamped and (not callable(field.default) or field.default in _SHARED_DEFAULTS):
        fixed = convert(field.get_default())
    default = timezone.now if stamped else field.get_default
    return field.attname, convert, fixed, default, stamped


# Callable defaults whose one value serves every row of a call: "now" (the rows of one COPY are
# written at one moment) and the empty list or dict of a JSON field (written out as text).
_SHARED_DEFAULTS = (timezone.now, list, dict)


_MISSING = object()


def _dict_line(given: Mapping[str, Any], plan: list[tuple]) -> list[str]:
    """A dict row's COPY values: a field it leaves out takes its default (a constant's text, or
    one "now", is made once per call, not per row), an empty `auto_now` field now."""
    line = []
    for attname, convert, fixed, default, stamped in plan:
        value = given.get(attname, _MISSING)
        if value is _MISSING or (stamped and value is None):
            line.append(fixed if fixed is not None else convert(default()))
        else:
            line.append(convert(value))
    return line


# COPY's text format: backslash, tab, newline and carriage return escaped; NULL as \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _instance(model, row):
    if isinstance(row, models.Model):
        return row
    return model(**row)


@contextmanager
def stored_as_given(*models):
    """`updated_at` and `created_at` as generated, not "now" (auto_now, auto_now_add)."""
    switched = []
    for model in models:
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                switched.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in switched:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add
