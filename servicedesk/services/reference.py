"""Writes and look-ups of reference data (`servicedesk.reference`): the reference API, its
bulk upserts and the imports all call these, so a row is checked, saved and given its external
id one way."""

from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from servicedesk import memo
from servicedesk.actors import actor_required
from servicedesk.models import ExternalKey
from servicedesk.reference import ReferenceKind


def reference_by_external_id(
    *, kind: ReferenceKind, source: str, value: str
) -> models.Model | None:
    """The row `source` calls `value`, or None."""
    content_type = ContentType.objects.get_for_model(kind.model_class)
    object_id = (
        ExternalKey.objects.filter(content_type=content_type, source=source, value=value)
        .values_list("object_id", flat=True)
        .first()
    )
    if object_id is None:
        return None
    return kind.model_class._default_manager.filter(pk=object_id).first()


def reference_by_name(*, kind: ReferenceKind, name: str) -> models.Model | None:
    """The row named `name` (each of the kind's name fields, case-insensitively; "Parent /
    Child" for a kind with a parent), or None."""
    manager = kind.model_class._default_manager
    name = name.strip()
    if not name:
        return None
    if kind.parent_field and " / " in name:
        parent_name, child = name.rsplit(" / ", 1)
        parent = reference_by_name(kind=kind, name=parent_name)
        if parent is None:
            return None
        return manager.filter(**{kind.parent_field: parent, "name__iexact": child}).first()
    for field_name in kind.name_fields:
        rows = manager.filter(**{f"{field_name}__iexact": name})
        if kind.parent_field:
            rows = rows.filter(**{f"{kind.parent_field}__isnull": True})
        found = rows.order_by("pk").first()
        if found is not None:
            return found
    return None


def reference_find(*, kind: ReferenceKind, value: str, source: str = "") -> models.Model | None:
    """By external id when a source is given (then by name), else by name."""
    if source:
        found = reference_by_external_id(kind=kind, source=source, value=value)
        if found is not None:
            return found
    return reference_by_name(kind=kind, name=value)


def ensure_can_write_reference(actor, kind: ReferenceKind) -> None:
    actor_required(actor)
    if not actor.has_perm(kind.write_permission):
        raise PermissionDenied(_("You may not change this reference data."))


def external_key_set(*, instance: models.Model, source: str, value: str) -> None:
    """Give `instance` the id `value` in `source` (idempotent); ValidationError when another
    row of its kind already has it."""
    content_type = ContentType.objects.get_for_model(type(instance))
    taken = ExternalKey.objects.filter(content_type=content_type, source=source, value=value)
    if taken.exclude(object_id=instance.pk).exists():
        raise ValidationError({"external_id": [_("Another row already has this external id.")]})
    if not taken.exists():
        ExternalKey.objects.create(
            content_type=content_type, object_id=instance.pk, source=source, value=value
        )


@transaction.atomic
def reference_put(
    *,
    kind: ReferenceKind,
    actor,
    fields: Mapping[str, Any],
    instance: models.Model | None = None,
    many: Mapping[str, list] | None = None,
    source: str = "",
    external_id: str = "",
    check_permission: bool = True,
) -> models.Model:
    """Create (`instance` None) or update a reference row: set `fields`, check it whole
    (`full_clean`: a ValidationError keyed by field, nothing saved), save it (through the
    kind's own service when it has one), set its many-to-many fields (`many`) and its external
    id. Raises PermissionDenied when the actor may not write the kind (the import service
    checks once for a whole file: `check_permission=False`)."""
    if check_permission:
        ensure_can_write_reference(actor, kind)
    created = instance is None
    row = kind.model_class() if instance is None else instance
    for name, value in fields.items():
        setattr(row, name, value)
    if created and hasattr(row, "set_unusable_password"):
        row.set_unusable_password()
    row.full_clean(exclude=["password"], validate_unique=True)
    if kind.save_hook is not None:
        row = kind.save_hook(instance=row, actor=actor, created=created)
    else:
        row.save()
    for name, values in (many or {}).items():
        getattr(row, name).set(values)
    if source and external_id:
        external_key_set(instance=row, source=source, value=external_id)
    return row


def reference_create_many(
    *, kind: ReferenceKind, values: list[str], actor, source: str = ""
) -> dict[str, models.Model]:
    """Create a row for each of `values` (names nobody has yet, as an import found them) in
    bulk: each checked as `reference_put` checks it (`full_clean`), their unique fields checked
    against each other and the table in one query per field, then one INSERT and one for their
    external ids. A value the bulk path cannot take (a child "Parent / Child", a kind with its
    own save service) goes through `reference_resolve`, one by one. Values whose rows would
    share a unique field (two spellings made into one address) get one row; a row already
    there with it (a person an earlier import made from the same name) is the one used.
    Returns {value: row}."""
    made: dict[str, models.Model] = {}
    rows: dict[str, models.Model] = {}
    one_by_one = []
    model = kind.model_class
    for value in dict.fromkeys(values):
        name = value.strip()
        if kind.save_hook is not None or (kind.parent_field and " / " in name):
            one_by_one.append(value)
            continue
        fields = dict(kind.create_defaults)
        if kind.create_fields:
            fields.update(import_string(kind.create_fields)(name))
        else:
            fields[kind.name_fields[0]] = name
        row = model(**fields)
        if hasattr(row, "set_unusable_password"):
            row.set_unusable_password()
        row.full_clean(exclude=["password"], validate_unique=False)
        rows[value] = row
    same: dict[str, str] = {}  # value -> the value whose row it shares a unique field with
    for unique in [f for f in model._meta.concrete_fields if f.unique and not f.primary_key]:
        given: dict[Any, str] = {}
        for value, row in list(rows.items()):
            key = getattr(row, unique.attname)
            if key in (None, ""):
                continue
            if key in given:
                rows.pop(value)
                same[value] = given[key]
            else:
                given[key] = value
        for existing in model._default_manager.filter(**{f"{unique.attname}__in": list(given)}):
            value = given[getattr(existing, unique.attname)]
            rows.pop(value, None)
            made[value] = existing
    created = model._default_manager.bulk_create(list(rows.values()), batch_size=2000)
    if created:
        # bulk_create sends no post_save: retire the processes' copies (categories, groups).
        memo.forget()
    made.update(zip(rows, created, strict=True))
    for value, first in same.items():
        made[value] = made[same.get(first, first)]
    if source and made:
        content_type = ContentType.objects.get_for_model(model)
        ExternalKey.objects.bulk_create(
            [ExternalKey(content_type=content_type, object_id=row.pk, source=source, value=value)
             for value, row in made.items()], batch_size=2000,
        )  # fmt: skip
    for value in one_by_one:
        made[value] = reference_resolve(
            kind=kind, value=value, actor=actor, source=source, create=True
        )
    return made


def reference_resolve(
    *,
    kind: ReferenceKind,
    value: str,
    actor,
    source: str = "",
    create: bool = False,
    label: str = "",
) -> models.Model:
    """Find a row by external id or name for an import; create it on the fly when `create`
    (its name from `value`, the kind's `create_defaults`). ValidationError naming the value
    when it is unknown and may not be created."""
    found = reference_find(kind=kind, value=value, source=source)
    if found is not None:
        return found
    if not create:
        raise ValidationError(
            _("Unknown %(what)s “%(value)s”.") % {"what": label or kind.key, "value": value}
        )
    fields = dict(kind.create_defaults)
    parent = None
    name = value.strip()
    if kind.parent_field and " / " in name:
        parent_name, name = name.rsplit(" / ", 1)
        parent = reference_resolve(
            kind=kind, value=parent_name, actor=actor, source="", create=True, label=label
        )
        fields[kind.parent_field] = parent
    if kind.create_fields:
        fields.update(import_string(kind.create_fields)(name))
    else:
        fields[kind.name_fields[0]] = name
    return reference_put(
        kind=kind,
        actor=actor,
        fields=fields,
        source=source,
        external_id=value if source else "",
        check_permission=False,
    )
