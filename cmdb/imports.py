"""CSV import (with a dry run) and export of configuration items and relationships.

An import runs every row through the same services as the pages, inside one transaction with a
savepoint per row: every row's errors are collected, and the whole file is rolled back unless
every row is valid and it is not a dry run. So later rows may refer to CIs created earlier in
the same file, and nothing is ever half-imported.

CI files: `name, class, status, criticality, environment, location, owner_group, support_group,
service, description` and one `attr.<code>` column per attribute. Relationship files:
`source, type, target` (names; type as `depends_on` or as its label "depends on").
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import SupportGroup
from cmdb import services
from cmdb.choices import Criticality, Environment, LifecycleStatus, RelationshipType
from cmdb.models import CIClass, ConfigurationItem, Relationship
from cmdb.selectors import class_attributes
from servicedesk import registry
from servicedesk.exceptions import TransitionNotAllowed

CI_COLUMNS = ["name", "class", "status", "criticality", "environment", "location",
              "owner_group", "support_group", "service", "description"]  # fmt: skip
RELATIONSHIP_COLUMNS = ["source", "type", "target"]
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, list[str]]] = field(default_factory=list)
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _Refused(Exception):
    pass


def _read(file) -> list[dict[str, str]]:
    raw = file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 10 MB.")]})
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("Save the file as UTF-8 CSV.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ValidationError({"file": [_("The file is empty.")]})
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            {"file": [_("Import at most %(n)s rows at a time.") % {"n": MAX_ROWS}]}
        )
    return rows


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name.removeprefix('attr_')}: {message}" if name != "__all__" else message
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


def _choice(value: str, choices, what: str):
    value = value.strip()
    for key, label in choices:
        if value.lower() in (str(key).lower(), str(label).lower()):
            return key
    raise ValidationError(_("Unknown %(what)s “%(value)s”.") % {"what": what, "value": value})


def _by_name(model, value: str, what: str):
    value = value.strip()
    if not value:
        return None
    found = model.objects.filter(name=value).first()
    if found is None:
        raise ValidationError(_("No %(what)s called “%(value)s”.") % {"what": what, "value": value})
    return found


def _ci_fields(row: dict[str, str]) -> dict:
    """A CSV row as ci_create/ci_update fields; ValidationError naming each bad cell."""
    errors, fields = [], {}
    unknown = [c for c in row if c and c not in CI_COLUMNS and not c.startswith("attr.")]
    if unknown:
        errors.append(_("Unknown columns: %s") % ", ".join(unknown))
    class_text = (row.get("class") or "").strip()
    ci_class = (
        CIClass.objects.filter(code=class_text).first()
        or CIClass.objects.filter(name__iexact=class_text).first()
    )
    if ci_class is None:
        errors.append(_("Unknown class “%(value)s”.") % {"value": class_text})
    fields["ci_class"] = ci_class
    fields["name"] = (row.get("name") or "").strip()
    fields["description"] = (row.get("description") or "").strip()
    lookups = {
        "status": lambda v: _choice(v, LifecycleStatus.choices, _("lifecycle status")),
        "criticality": lambda v: _choice(v, Criticality.choices, _("criticality")),
        "environment": lambda v: _choice(v, Environment.choices, _("environment")),
        "location": lambda v: _by_name(ConfigurationItem, v, _("location")),
        "owner_group": lambda v: _by_name(SupportGroup, v, _("support group")),
        "support_group": lambda v: _by_name(SupportGroup, v, _("support group")),
        "service": lambda v: _by_name(registry.shared_model("service"), v, _("catalogue service")),
    }
    for column, lookup in lookups.items():
        value = (row.get(column) or "").strip()
        if not value:
            continue
        try:
            fields[column] = lookup(value)
        except ValidationError as error:
            errors += error.messages
    attributes = {
        c.removeprefix("attr."): (v or "").strip()
        for c, v in row.items()
        if c and c.startswith("attr.")
    }
    fields["attributes"] = {code: value for code, value in attributes.items() if value}
    if ci_class is not None:
        known = {d.code for d in class_attributes(ci_class)}
        for code in fields["attributes"]:
            if code not in known:
                errors.append(
                    _("%(class)s has no attribute “%(code)s”.")
                    % {"class": ci_class.name, "code": code}
                )
        fields["attributes"] = {k: v for k, v in fields["attributes"].items() if k in known}
        if errors:  # say what else is wrong in the row, not only the first problem
            try:
                services.attributes_clean(ci_class, fields["attributes"])
            except ValidationError as error:
                errors += _messages(error)
    if errors:
        raise ValidationError(errors)
    return fields


def _import_ci_row(row, actor, report) -> None:
    fields = _ci_fields(row)
    existing = (
        ConfigurationItem.objects.filter(name=fields["name"]).first() if fields["name"] else None
    )
    if existing is None:
        services.ci_create(actor=actor, **fields)
        report.created += 1
        return
    version = existing.version
    ci = services.ci_update(ci_id=existing.pk, actor=actor, changes=fields)
    if ci.version == version:
        report.unchanged += 1
    else:
        report.updated += 1


def _import_relationship_row(row, actor, report) -> None:
    errors = []
    unknown = [c for c in row if c and c not in RELATIONSHIP_COLUMNS]
    if unknown:
        errors.append(_("Unknown columns: %s") % ", ".join(unknown))
    ends = {}
    for column in ("source", "target"):
        name = (row.get(column) or "").strip()
        ends[column] = ConfigurationItem.objects.filter(name=name).first()
        if ends[column] is None:
            errors.append(
                _("No configuration item “%(value)s” (%(column)s).")
                % {"value": name, "column": column}
            )
    try:
        kind = _choice(row.get("type") or "", RelationshipType.choices, _("relationship type"))
    except ValidationError as error:
        errors += error.messages
        kind = None
    if errors:
        raise ValidationError(errors)
    if Relationship.objects.filter(
        source=ends["source"], target=ends["target"], type=kind
    ).exists():
        report.unchanged += 1
        return
    services.relationship_add(actor=actor, source=ends["source"], target=ends["target"], type=kind)
    report.created += 1


def run_import(*, actor, file, kind: str, dry_run: bool) -> ImportReport:
    """Check (dry run) or import a CSV file of CIs ("cis") or relationships ("relationships").

    Saves nothing unless every row is valid and `dry_run` is false. Raises PermissionDenied for
    non-configuration managers and ValidationError for an unreadable file.
    """
    services.ensure_can_edit(actor)
    rows = _read(file)
    handler = _import_ci_row if kind == "cis" else _import_relationship_row
    report = ImportReport(rows=len(rows))
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=2):  # line 1 is the header
                row = {k: v for k, v in row.items() if k is not None}
                try:
                    with transaction.atomic():
                        handler(row, actor, report)
                except ValidationError as error:
                    report.errors.append((number, _messages(error)))
                except TransitionNotAllowed as error:
                    report.errors.append((number, [str(error.message)]))
            if report.errors or dry_run:
                raise _Refused
    except _Refused:
        return report
    report.saved = True
    return report


def export_rows(*, ci_class: CIClass):
    """The CSV rows (header first) of every CI of a class, in the import's format."""
    codes = [d.code for d in class_attributes(ci_class)]
    yield [*CI_COLUMNS, *[f"attr.{code}" for code in codes]]
    items = (
        ConfigurationItem.objects.filter(ci_class=ci_class)
        .select_related("location", "owner_group", "support_group", "service")
        .order_by("name")
    )
    reference_codes = {d.code for d in class_attributes(ci_class) if d.type == "reference"}
    names = {}
    if reference_codes:
        names = dict(ConfigurationItem.objects.values_list("pk", "name"))
    for ci in items.iterator(chunk_size=2000):
        attributes = [
            names.get(ci.attributes.get(code), "")
            if code in reference_codes
            else ci.attributes.get(code, "")
            for code in codes
        ]
        yield [
            ci.name, ci_class.code, ci.status, ci.criticality, ci.environment,
            ci.location.name if ci.location_id else "",
            ci.owner_group.name if ci.owner_group_id else "",
            ci.support_group.name if ci.support_group_id else "",
            ci.service.name if ci.service_id else "",
            ci.description,
            *attributes,
        ]  # fmt: skip


__all__ = ["ImportReport", "PermissionDenied", "export_rows", "run_import"]
