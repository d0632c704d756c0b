"""Writing many new rows at once, faster than `bulk_create` where it counts (the SLA sweep).

`bulk_create` builds a model instance per row, prepares every value through each field's full
conversion chain and reads the new ids back; for a sweep batch of a thousand firings, timeline
events and e-mails that took longer than the database. `insert_rows` takes instances or plain
dicts (attribute name -> value; the other fields take their defaults), sends the values in one
`INSERT ... VALUES` on PostgreSQL (psycopg2's `execute_values`), converting only the fields that
need it (JSON), and reads nothing back. On other databases it is `bulk_create`.

`copy_rows` goes further for loads (an import's thousands of timeline rows): PostgreSQL's COPY
of the rows as text, no statement to build at all.

`stored_as_given` lets a bulk load (the demo data, imports) keep the times it gives.
"""

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
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
    model: type[models.Model], rows: Sequence[models.Model | Mapping[str, Any]]
) -> None:
    """INSERT `rows` of `model` in one statement; instances' generated ids stay unset."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([_instance(model, row) for row in rows])
        return
    from psycopg2.extras import execute_values

    fields = [f for f in model._meta.concrete_fields if not _generated(f)]
    converted = {f.attname for f in fields if not isinstance(f, _PLAIN)}
    values = []
    for given in rows:
        row: Any = _Row(model, given) if isinstance(given, Mapping) else given
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                field.pre_save(row, add=True)
        values.append(
            tuple(
                field.get_db_prep_save(getattr(row, field.attname), connection)
                if field.attname in converted
                else getattr(row, field.attname)
                for field in fields
            )
        )
    columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        execute_values(
            cursor,
            f"INSERT INTO {table} ({columns}) VALUES %s",  # noqa: S608 - names from the model
            values,
            page_size=len(values),
        )


def copy_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any] | models.Model],
    *,
    with_ids: bool = False,
) -> int:
    """Write `rows` of `model` with PostgreSQL's COPY (elsewhere `bulk_create`); returns how
    many. A row is a dict by field attname (`actor_id`) or an unsaved instance; a missing
    field takes its default, an `auto_now` one now. The fastest way in for rows whose ids
    nobody needs back (an import's audit events, comments, timers), or whose ids were taken
    beforehand (`reserve_ids`, then `with_ids`)."""
    if connection.vendor != "postgresql":
        instances = [_instance(model, row) for row in rows]
        model._default_manager.bulk_create(instances, batch_size=2000)
        return len(instances)
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    text = [_copy_text(f) for f in fields]
    now = timezone.now()
    buffer = io.StringIO()
    count = 0
    for given in rows:
        values = given if isinstance(given, Mapping) else given.__dict__
        cells = []
        for field, write in zip(fields, text, strict=True):
            value = values[field.attname] if field.attname in values else field.get_default()
            if value is None and (
                getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            ):
                value = now
            cells.append(r"\N" if value is None else write(value))
        buffer.write("\t".join(cells))
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
    with `copy_rows` whose ids are needed (an import's records, for their timeline rows);
    None elsewhere."""
    if connection.vendor != "postgresql" or not count:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _escaped(value: Any) -> str:
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _copy_text(field: models.Field) -> Callable[[Any], str]:
    """How COPY's text format spells a value of `field`."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: _escaped(json.dumps(value, cls=encoder))
    if isinstance(field, models.BooleanField):
        return lambda value: "t" if value else "f"
    if isinstance(field, models.DateTimeField):
        return lambda value: value.isoformat()
    return _escaped


def _generated(field: models.Field) -> bool:
    """A primary key the database numbers (a key given by the row, as a one-to-one key, is
    sent)."""
    return field.primary_key and isinstance(field, AutoFieldMixin)


class _Row:
    """A dict's values read as attributes, with the fields' defaults for the rest: enough of a
    model instance for the insert, without the cost of building one."""

    def __init__(self, model: type[models.Model], values: Mapping[str, Any]):
        self.__dict__.update(values)
        for field in model._meta.concrete_fields:
            if field.attname not in values and not _generated(field):
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
