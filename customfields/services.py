"""Writes of custom-field values: validated against the definitions, in one transaction,
each change an agent-only audit event on the record's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customfields import selectors
from customfields.forms import CustomFieldsForm
from customfields.models import CustomField, FieldValue
from servicedesk import registry
from servicedesk.actors import actor_required
from servicedesk.events import record_event
from servicedesk.fieldtypes import FieldType
from servicedesk.models import AuditKind
from servicedesk.services import ensure_not_final

# The API names a field of `custom_fields` in its errors as "custom_fields.<name>".
ERROR_PREFIX = "custom_fields."


def clean_values(
    *, fields: list[CustomField], data: Mapping[str, Any], rows: dict | None = None
) -> dict[str, Any]:
    """Check raw input (the API's `custom_fields` object, keyed by field name) against the
    fields: {name: cleaned value}. Unknown names, a number given text, a choice not in the list
    or a required field left empty are a ValidationError naming each field."""
    if not isinstance(data, Mapping):
        raise ValidationError({"custom_fields": [_("Give the custom fields as an object.")]})
    known = {f.name for f in fields}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(
            {
                f"{ERROR_PREFIX}{name}": [_("This record has no custom field of this name.")]
                for name in unknown
            }
        )
    rows = rows or {}
    form_data: dict[str, Any] = {}
    for spec in fields:
        value = data.get(spec.name) if spec.name in data else _current(spec, rows.get(spec.pk))
        if spec.field_type == FieldType.CHECKBOX:
            if value not in (None, True, False):
                raise ValidationError({f"{ERROR_PREFIX}{spec.name}": [_("Give true or false.")]})
            if value:
                form_data[f"cf-{spec.name}"] = "on"
            continue
        if value is None:
            continue
        if isinstance(value, dict | list):
            raise ValidationError({f"{ERROR_PREFIX}{spec.name}": [_("Give one value.")]})
        form_data[f"cf-{spec.name}"] = str(value)
    form = CustomFieldsForm(form_data, fields=fields)
    if not form.is_valid():
        raise ValidationError(
            {f"{ERROR_PREFIX}{name}": list(errors) for name, errors in form.errors.items()}
        )
    return form.values()


def _current(spec: CustomField, row: FieldValue | None) -> Any:
    value = selectors.raw_value(spec, row)
    if spec.field_type == FieldType.USER and row is not None:
        return row.display
    return value


def _columns(spec: CustomField, value: Any) -> dict[str, Any] | None:
    """The typed columns of a cleaned value, None when it is empty."""
    kind = spec.field_type
    if value in (None, "") and kind != FieldType.CHECKBOX:
        return None
    columns: dict[str, Any] = {
        "value_text": "",
        "value_number": None,
        "value_date": None,
        "value_bool": None,
        "value_ref": None,
    }
    if kind == FieldType.NUMBER:
        number = Decimal(value)
        columns["value_number"] = number
        columns["display"] = f"{number.normalize():f}"
    elif kind == FieldType.DATE:
        columns["value_date"] = value
        columns["display"] = value.isoformat()
    elif kind == FieldType.CHECKBOX:
        columns["value_bool"] = bool(value)
        columns["display"] = "yes" if value else "no"
    elif kind == FieldType.USER:
        columns["value_ref"] = value.pk
        columns["display"] = value.email
    elif kind == FieldType.CI:
        columns["value_ref"] = value.pk
        columns["display"] = str(value)[:500]
    else:
        columns["value_text"] = str(value)
        columns["display"] = str(value)
    return columns


@transaction.atomic
def values_save(
    *, record, actor, values: Mapping[str, Any], fields: list[CustomField]
) -> list[str]:
    """Store a record's cleaned values (`values`: {name: value}, from `clean_values` or the
    form): new, changed and emptied ones, each with an agent-only audit event. Returns the names
    of the fields that changed."""
    actor_required(actor)
    content_type = ContentType.objects.get_for_model(record)
    rows = {
        row.field_id: row
        for row in FieldValue.objects.select_for_update().filter(
            content_type=content_type, object_id=record.pk, field__in=[f.pk for f in fields]
        )
    }
    changed: list[str] = []
    for spec in fields:
        if spec.name not in values:
            continue
        row = rows.get(spec.pk)
        columns = _columns(spec, values[spec.name])
        if not changed and _differs(row, columns):
            # A closed or cancelled record keeps its values, as it keeps its facts (409).
            ensure_not_final(record)
        old = selectors.raw_value(spec, row)
        old_text = selectors.display(spec, row)
        if columns is None:
            if row is None:
                continue
            row.delete()
            new, new_text = None, ""
        else:
            if row is not None and all(getattr(row, k) == v for k, v in columns.items()):
                continue
            if row is None:
                row = FieldValue(content_type=content_type, object_id=record.pk, field=spec)
            for name, value in columns.items():
                setattr(row, name, value)
            row.save()
            new, new_text = selectors.raw_value(spec, row), selectors.display(spec, row)
        record_event(
            record=record,
            actor=actor,
            kind=AuditKind.FIELD_CHANGED,
            field=spec.label[:64],
            old_value=old,
            new_value=new,
            old_text=str(old_text)[:255],
            new_text=str(new_text)[:255],
            public=False,
        )
        changed.append(spec.name)
    if changed:
        _touch(record)
    return changed


def _differs(row: FieldValue | None, columns: dict[str, Any] | None) -> bool:
    if columns is None:
        return row is not None
    return row is None or any(getattr(row, k) != v for k, v in columns.items())


def _touch(record) -> None:
    """A record whose custom values changed is a newer version of it: its `version` and
    `updated_at` move, so a page or client holding the old version is told (409) and the
    queues' "updated" order sees it."""
    now = timezone.now()
    type(record)._default_manager.filter(pk=record.pk).update(
        version=F("version") + 1, updated_at=now
    )
    if hasattr(record, "version") and "version" not in record.get_deferred_fields():
        record.version += 1
        record.updated_at = now


def values_update(*, record, actor, data: Mapping[str, Any]) -> list[str]:
    """Check and store raw input for a record (the API, the record page's card): the record
    type's work permission, the record not final, the values valid, else nothing is saved."""
    record_type = registry.for_model(record)
    if record_type is None or not record_type.work_permission:
        raise PermissionDenied(_("This record has no custom fields."))
    if not actor.has_perm(record_type.work_permission):
        raise PermissionDenied(_("Only service desk staff can do this."))
    fields = selectors.fields_of_record(record)
    rows = selectors.values_of(record)
    cleaned = clean_values(fields=fields, data=data, rows=rows)
    cleaned = {name: value for name, value in cleaned.items() if name in data}
    return values_save(record=record, actor=actor, values=cleaned, fields=fields)


def create_with_values(
    *, record_type_key: str, category_id: Any, data: Mapping[str, Any] | None, actor, create
):
    """Create a record and its custom values in one transaction: `create()` makes the record
    (the type's own service); `data` (raw input keyed by field name, None: nothing given) is
    checked first, required fields included, so a refusal saves nothing."""
    if data is None:
        return create()
    fields = selectors.fields_for(record_type_key, category_id)
    cleaned = clean_values(fields=fields, data=data or {})
    if not fields:
        return create()  # nothing to store: no block (a savepoint) around the record's own
    with transaction.atomic():
        record = create()
        fields = selectors.fields_of_record(record)
        values = {
            name: value for name, value in cleaned.items() if name in {f.name for f in fields}
        }
        if values:  # a new record has no earlier values to empty
            values_save(record=record, actor=actor, values=values, fields=fields)
    return record


def update_with_values(*, record, actor, data: Mapping[str, Any] | None, update):
    """Run the type's own update (`update()`, which may be None: only custom values change)
    and store the custom values given, in one transaction; bad values save nothing."""
    with transaction.atomic():
        updated = update() if update is not None else record
        if data is not None:
            values_update(record=updated, actor=actor, data=data)
    return updated


def save_form(*, record, actor, form: CustomFieldsForm) -> list[str]:
    """Store a valid page form's values for the fields the record has (its category's)."""
    fields = selectors.fields_of_record(record)
    names = {f.name for f in fields}
    values = {name: value for name, value in form.values().items() if name in names}
    return values_save(record=record, actor=actor, values=values, fields=fields)


def create_from_form(*, form: CustomFieldsForm, actor, create):
    """A page's create: `create()` makes the record, then the valid form's values are stored,
    in one transaction."""
    with transaction.atomic():
        record = create()
        save_form(record=record, actor=actor, form=form)
    return record


def update_from_form(*, record, form: CustomFieldsForm, actor, update) -> list[str]:
    """A page's edit: the type's own update, then the valid form's values, in one
    transaction. Returns the names of the custom fields that changed."""
    with transaction.atomic():
        update()
        return save_form(record=record, actor=actor, form=form)
