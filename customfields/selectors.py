"""Reads of custom fields: the definitions of a record type (cached), a record's values, the
values of a page of rows (one query), the filter on a value, the record page's panel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from customfields.models import CustomField, FieldValue
from servicedesk import memo, registry
from servicedesk.fieldtypes import FieldType

ALL_CATEGORIES = object()


def definitions(record_type_key: str) -> list[CustomField]:
    """Every active field of a record type, in order: from each process's copy
    (servicedesk.memo, retired by any save or delete of a definition), so a create, the queue
    and the API lists pay neither a query nor a cache round trip for them once read."""
    return memo.reference(
        f"customfields:definitions:{record_type_key}",
        lambda: list(CustomField.objects.filter(record_type=record_type_key, is_active=True)),
    )


def fields_for(record_type_key: str, category_id: Any = None) -> list[CustomField]:
    """The fields a record of this type and category has: those for every record and those for
    its category (`ALL_CATEGORIES`: every field of the type, as a new record's form offers)."""
    return [
        f
        for f in definitions(record_type_key)
        if f.category is None or category_id is ALL_CATEGORIES or f.category == category_id
    ]


def fields_of_record(record) -> list[CustomField]:
    record_type = registry.for_model(record)
    if record_type is None:
        return []
    return fields_for(record_type.key, getattr(record, "category_id", None))


def category_model(record_type):
    """The model a record type's `category` points at, or None when it has no category."""
    try:
        field = record_type.model_class._meta.get_field("category")
    except Exception:
        return None
    return getattr(field, "related_model", None)


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped (record type label, [("key:id", name)]) of every record type with categories."""
    groups = []
    for record_type in registry.all_types():
        model = category_model(record_type)
        if model is None:
            continue
        rows = model._default_manager.order_by("name").values_list("pk", "name")[:500]
        groups.append(
            (str(record_type.label), [(f"{record_type.key}:{pk}", name) for pk, name in rows])
        )
    return groups


def display(field: CustomField, row: FieldValue | None) -> str:
    """A stored value as a reader sees it: a yes/no in their language, else the text kept."""
    if row is None:
        return ""
    if field.field_type == FieldType.CHECKBOX:
        return _("Yes") if row.value_bool else _("No")
    return row.display


def raw_value(field: CustomField, row: FieldValue | None) -> Any:
    """A stored value for the API and the exports: a number as a string, a date in ISO form,
    a person or CI by id, a yes/no as a boolean, None when empty."""
    if row is None:
        return None
    kind = field.field_type
    if kind == FieldType.NUMBER:
        return None if row.value_number is None else f"{row.value_number.normalize():f}"
    if kind == FieldType.DATE:
        return row.value_date.isoformat() if row.value_date else None
    if kind in (FieldType.USER, FieldType.CI):
        return row.value_ref
    if kind == FieldType.CHECKBOX:
        return row.value_bool
    return row.value_text or None


def _content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk


def values_of(record) -> dict[int, FieldValue]:
    """{field id: value row} of one record (one query)."""
    rows = FieldValue.objects.filter(content_type_id=_content_type_id(record), object_id=record.pk)
    return {row.field_id: row for row in rows}


def values_for_rows(model, ids: Iterable[int], fields: list[CustomField]) -> dict:
    """{object id: {field id: value row}} for a page of records: one query, none without ids
    or fields."""
    ids = list(ids)
    if not ids or not fields:
        return {}
    found: dict[int, dict[int, FieldValue]] = {}
    rows = FieldValue.objects.filter(
        content_type_id=_content_type_id(model), object_id__in=ids, field__in=[f.pk for f in fields]
    )
    for row in rows:
        found.setdefault(row.object_id, {})[row.field_id] = row
    return found


def as_data(record, fields: list[CustomField] | None = None, rows=None) -> dict[str, Any]:
    """{name: raw value} of a record's fields (the API's `custom_fields`)."""
    fields = fields_of_record(record) if fields is None else fields
    if not fields:
        return {}
    rows = values_of(record) if rows is None else rows
    return {f.name: raw_value(f, rows.get(f.pk)) for f in fields}


def lookup(field: CustomField, text: str) -> dict[str, Any] | None:
    """The column and value a filter on `text` compares, None when the text cannot be one."""
    text = text.strip()
    kind = field.field_type
    if kind == FieldType.NUMBER:
        try:
            return {"value_number": Decimal(text)}
        except InvalidOperation:
            return None
    if kind == FieldType.DATE:
        try:
            return {"value_date": date.fromisoformat(text)}
        except ValueError:
            return None
    if kind == FieldType.CHECKBOX:
        truthy = {"1", "true", "yes", "on", str(_("Yes")).lower()}
        return {"value_bool": text.lower() in truthy}
    if kind in (FieldType.USER, FieldType.CI):
        return {"value_ref": int(text)} if text.isdigit() and len(text) <= 18 else None
    return {"value_text": text}  # exact, so the (field, value_text) index finds it


def filter_by_value(queryset: QuerySet, field: CustomField, text: str) -> QuerySet:
    """The records whose `field` holds `text` (an indexed semi-join); none when `text` cannot be
    a value of the field."""
    condition = lookup(field, text)
    if condition is None:
        return queryset.none()
    matching = FieldValue.objects.filter(
        content_type_id=_content_type_id(queryset.model),
        object_id=OuterRef("pk"),
        field_id=field.pk,
        **condition,
    )
    return queryset.filter(Exists(matching))


def field_named(record_type_key: str, name: str) -> CustomField | None:
    return next((f for f in definitions(record_type_key) if f.name == name), None)


def record_panel_context(request, *, record) -> dict | None:
    """The record page's "Custom fields" card: staff only, when the record has fields."""
    record_type = registry.for_model(record)
    if request is None or record_type is None or not record_type.work_permission:
        return None
    if not request.user.has_perm(record_type.view_permission or record_type.work_permission):
        return None
    fields = fields_of_record(record)
    if not fields:
        return None
    rows = values_of(record)
    from customfields.forms import CustomFieldsForm

    return {
        "custom_values": [(f, display(f, rows.get(f.pk))) for f in fields],
        "custom_form": CustomFieldsForm(fields=fields, rows=rows),
        "custom_record": record,
        "can_edit": request.user.has_perm(record_type.work_permission),
    }


def queue_columns(record_type_key: str, chosen: list[str]) -> list[CustomField]:
    """The fields a queue shows as columns (`?columns=<name>`), in the definitions' order."""
    wanted = set(chosen)
    return [f for f in definitions(record_type_key) if f.name in wanted]


def queue_cells(rows: list, columns: list[CustomField]) -> None:
    """Give each row of a queue page `custom_cells`, (label, text) in the columns' order:
    one query for the page, none without columns."""
    if not rows or not columns:
        return
    found = values_for_rows(type(rows[0]), [row.pk for row in rows], columns)
    for row in rows:
        values = found.get(row.pk, {})
        row.custom_cells = [
            (field.display_label, display(field, values.get(field.pk))) for field in columns
        ]


def export_part(record_type_key: str) -> tuple[list[str], list[CustomField]]:
    """The custom fields an export adds: their headers and the fields."""
    fields = definitions(record_type_key)
    return [f.label for f in fields], fields


def export_cells(model, ids: list[int], fields: list[CustomField]) -> dict[int, tuple]:
    """{record id: (raw value per field)} for a chunk of an export: one query."""
    found = values_for_rows(model, ids, fields)
    return {pk: tuple(raw_value(f, found.get(pk, {}).get(f.pk)) for f in fields) for pk in ids}
