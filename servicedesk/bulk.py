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
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

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
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    json_fields = {f.attname: f for f in fields if isinstance(f, models.JSONField)}
    other = {
        f.attname for f in fields if not isinstance(f, _PLAIN) and f.attname not in json_fields
    }
    buffer = io.StringIO()
    count = 0
    for given in rows:
        row: Any = _Row(model, given) if isinstance(given, Mapping) else given
        for field in stamped:
            if getattr(row, field.attname, None) is None:
                field.pre_save(row, add=True)
        values = []
        for field in fields:
            value = getattr(row, field.attname)
            if field.attname in json_fields and value is not None:
                value = json.dumps(value, cls=json_fields[field.attname].encoder)
            elif field.attname in other:
                value = field.get_db_prep_save(value, connection)
            values.append(_copy_text(value))
        buffer.write("\t".join(values))
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


# COPY's text format: backslash, tab, newline and carriage return escaped; NULL as \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


class _Row:
    """A dict's values read as attributes, with the fields' defaults for the rest: enough of a
    model instance for the insert, without the cost of building one."""

    def __init__(self, model: type[models.Model], values: Mapping[str, Any]):
        self.__dict__.update(values)
        for field in model._meta.concrete_fields:
            if field.attname not in values and not field.primary_key:
                setattr(self, field.attname, field.get_default())


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
