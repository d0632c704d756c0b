"""The mapping editor's reads and its one write: a sample of an uploaded file (its columns,
their first values, the distinct values of the columns that feed statuses and levels), what
each column feeds today, and `mapping_save`, which checks an administrator's choices and saves
them as a reusable `ImportMapping` for the job.

A mapping is laid over its format (`Format.with_mapping`): the editor writes every one of our
fields, "" for those no column feeds, so a column left "not imported" is not read even when
the format itself knows it by that name.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from transfer.encoding import decode
from transfer.formats import FIELDS, FORMATS, Format
from transfer.models import ImportJob, ImportMapping

# The file's first bytes the editor reads (a few thousand rows: enough to find the values
# a source uses; a value found later is reported by the dry run like any unmapped value).
SAMPLE_BYTES = 4 * 1024 * 1024
PREVIEW_VALUES = 3
MAX_DISTINCT = 40
# The fields whose values the editor maps one by one.
VALUE_FIELDS = ("status", "impact", "urgency", "priority")
EDITABLE_KINDS = ("csv", "jsonl")

FIELD_LABELS = {
    "number": gettext_lazy("Number (theirs)"),
    "sequence": gettext_lazy("Update sequence"),
    "status": gettext_lazy("Status"),
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "opened_at": gettext_lazy("Opened"),
    "updated_at": gettext_lazy("Updated (time of the row)"),
    "first_response_at": gettext_lazy("First response"),
    "resolved_at": gettext_lazy("Resolved"),
    "closed_at": gettext_lazy("Closed"),
    "impact": gettext_lazy("Impact"),
    "urgency": gettext_lazy("Urgency"),
    "priority": gettext_lazy("Priority (theirs, checked)"),
    "made_sla": gettext_lazy("SLA met (true / false)"),
    "group": gettext_lazy("Support group"),
    "assignee": gettext_lazy("Assignee"),
    "requester": gettext_lazy("Requester"),
    "organisation": gettext_lazy("Organisation"),
    "category": gettext_lazy("Category"),
    "subcategory": gettext_lazy("Subcategory"),
    "service": gettext_lazy("Service"),
    "channel": gettext_lazy("Channel"),
    "reassignment_count": gettext_lazy("Reassignments"),
    "reopen_count": gettext_lazy("Reopened"),
    "resolution_code": gettext_lazy("Resolution code"),
    "resolution_notes": gettext_lazy("Resolution notes"),
    "comment": gettext_lazy("Public reply"),
    "work_note": gettext_lazy("Work note"),
    "author": gettext_lazy("Author of the reply or note"),
}


@dataclass
class Sample:
    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)

    def first_values(self, column: str) -> list[str]:
        found: list[str] = []
        for row in self.rows:
            value = str(row.get(column) or "").strip()
            if value and value not in found:
                found.append(value)
                if len(found) == PREVIEW_VALUES:
                    break
        return found

    def distinct(self, column: str, null: tuple[str, ...] = ("",)) -> list[str]:
        """The column's values, in the order met, without the format's null texts."""
        found: dict[str, None] = {}
        for row in self.rows:
            value = row.get(column)
            text = "" if value is None else str(value).strip()
            if text not in null:
                found.setdefault(text)
                if len(found) == MAX_DISTINCT:
                    break
        return list(found)


def editable(job: ImportJob) -> bool:
    return FORMATS[job.format].kind in EDITABLE_KINDS


def job_sample(job: ImportJob, size: int = SAMPLE_BYTES) -> Sample:
    """The columns and first rows of the job's file (CSV with its delimiter, or JSON lines)."""
    with job.file.open("rb") as handle:
        data = handle.read(size + 1)
    text, _encoding = decode(data[:size])
    if len(data) > size:  # the last line may be cut: leave it out
        text = text[: text.rfind("\n") + 1]
    if FORMATS[job.format].kind == "jsonl":
        return _jsonl_sample(text)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:5000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [name.strip() for name in next(reader, [])]
    rows = [dict(zip(header, row, strict=False)) for row in reader if any(c.strip() for c in row)]
    return Sample(header, rows)


def _jsonl_sample(text: str) -> Sample:
    columns: dict[str, None] = {}
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
            for key in row:
                columns.setdefault(str(key))
    return Sample(list(columns), rows)


def job_mapping_format(job: ImportJob) -> Format:
    """The format the job is read with (its saved mapping laid over it)."""
    from transfer.services import job_format

    return job_format(job)


def required_fields(job: ImportJob) -> tuple[str, ...]:
    """Our fields a column must feed: the format's, and impact and urgency where the record
    type's priority comes from them (the import refuses a record without them)."""
    from servicedesk import registry

    fmt = FORMATS[job.format]
    model = registry.get(fmt.record_type).model_class
    has = {f.name for f in model._meta.concrete_fields}
    levels = tuple(name for name in ("impact", "urgency") if name in has)
    return tuple(dict.fromkeys((*fmt.required, *levels)))


def missing_fields(job: ImportJob, sample: Sample | None = None) -> list[str]:
    """The required fields the file's columns do not feed as the job reads it today."""
    sample = sample or job_sample(job)
    fmt = job_mapping_format(job)
    return [name for name in required_fields(job) if fmt.columns.get(name) not in sample.columns]


def initial_columns(job: ImportJob, sample: Sample) -> dict[str, str]:
    """{column: our field} as the job reads it today ("" for a column it does not read)."""
    fmt = job_mapping_format(job)
    ours = {column: name for name, column in fmt.columns.items()}
    return {column: ours.get(column, "") for column in sample.columns}


def status_choices(job: ImportJob) -> list[tuple[str, str]]:
    """Our statuses for the record type; a pending status once per pending reason
    ("pending:customer"), where the type has pending reasons."""
    from servicedesk import registry

    model = registry.get(FORMATS[job.format].record_type).model_class
    labels = dict(model._meta.get_field("status").flatchoices)
    has = {f.name for f in model._meta.concrete_fields}
    reasons = model._meta.get_field("pending_reason").flatchoices if "pending_reason" in has else []
    choices: list[tuple[str, str]] = []
    for state in model.WORKFLOW.states:
        label = str(labels.get(state, state))
        if state == "pending" and reasons:
            choices += [
                (f"{state}:{code}", f"{label}: {reason}") for code, reason in reasons if code
            ]
        else:
            choices.append((state, label))
    return choices


def level_choices(name: str) -> list[tuple[str, str]]:
    """Our levels as (rank, label), highest first: the scales for impact and urgency, the
    priority levels for priority."""
    from incidents.levels import level_choices as scale_choices
    from incidents.priority import priority_levels

    if name == "priority":
        return [(str(level), f"{level} - {row['name']}") for level, row in
                sorted(priority_levels().items())]  # fmt: skip
    return [(str(rank), str(label)) for rank, (_code, label) in
            enumerate(scale_choices(name), start=1)]  # fmt: skip


def initial_value(job: ImportJob, name: str, value: str) -> str:
    """What the job's format (and mapping) makes of one value today, as the editor's choice."""
    fmt = job_mapping_format(job)
    if name == "status":
        target = fmt.statuses.get(value)
        if target is None:
            known = {code for code, _label in status_choices(job)}
            return value if value in known else ""
        return target if isinstance(target, str) else ":".join(target)
    rank = fmt.values.get(name, {}).get(value)
    if rank is None and value.isdigit():
        rank = int(value)
    if rank is None and name != "priority":
        from incidents.levels import level_codes

        codes = level_codes(name)
        rank = codes.index(value) + 1 if value in codes else None
    valid = {code for code, _label in level_choices(name)}
    return str(rank) if str(rank) in valid else ""


def value_parts(
    job: ImportJob, sample: Sample, columns: dict[str, str], given: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """For each value field a column feeds (status, impact, urgency, priority): the values the
    file has in that column, each with ours (as `given` by the form, else as the job reads it
    today), and the choices of ours."""
    feeders = {ours: column for column, ours in reversed(columns.items()) if ours}
    null = job_mapping_format(job).null
    parts = []
    for name in VALUE_FIELDS:
        if name not in feeders:
            continue
        chosen = given.get(name, {})
        rows = [{"value": value, "ours": chosen.get(value, initial_value(job, name, value))}
                for value in sample.distinct(feeders[name], null)]  # fmt: skip
        choices = status_choices(job) if name == "status" else level_choices(name)
        parts.append({"name": name, "label": FIELD_LABELS[name], "column": feeders[name],
                      "rows": rows, "choices": choices, "errors": []})  # fmt: skip
    return parts


@transaction.atomic
def mapping_save(
    *,
    actor,
    job: ImportJob,
    name: str,
    source: str,
    columns: dict[str, str],
    values: dict[str, dict[str, str]],
) -> ImportMapping:
    """Check an administrator's mapping and save it (a new one, or the job's own under the
    same name), then read the job with it. `columns` is {file column: our field or ""};
    `values` is {"status" | "impact" | ...: {file value: our choice}} for the value fields
    mapped. ValidationError by part ("columns", "status", "impact", ..., "name"): nothing saved.
    """
    from transfer.services import ensure_can_import

    ensure_can_import(actor)
    errors: dict[str, list[str]] = {}
    fed: dict[str, list[str]] = {}
    for column, ours in columns.items():
        if ours and ours not in FIELDS:
            errors.setdefault("columns", []).append(
                _("“%(field)s” is not one of our fields.") % {"field": ours}
            )
        elif ours:
            fed.setdefault(ours, []).append(column)
    for ours, sources in fed.items():
        if len(sources) > 1:
            errors.setdefault("columns", []).append(
                _("%(field)s is fed by more than one column: %(columns)s.")
                % {"field": FIELD_LABELS[ours], "columns": ", ".join(sources)}
            )
    missing = [str(FIELD_LABELS[f]) for f in required_fields(job) if f not in fed]
    if missing:
        errors.setdefault("columns", []).append(
            _("Choose the column that gives each required field: %(fields)s.")
            % {"fields": ", ".join(missing)}
        )
    statuses: dict[str, Any] = {}
    levels: dict[str, dict[str, int]] = {}
    allowed = {"status": {code for code, _label in status_choices(job)}}
    for part in VALUE_FIELDS:
        if part not in fed:
            continue
        chosen = values.get(part, {})
        valid = allowed.get(part) or {code for code, _label in level_choices(part)}
        unmapped = [value for value, ours in chosen.items() if ours not in valid]
        if unmapped:
            errors.setdefault(part, []).append(
                _("Choose ours for every value of the file: %(values)s.")
                % {"values": ", ".join(f"“{value}”" for value in unmapped)}
            )
            continue
        if part == "status":
            statuses = {v: ours.split(":") if ":" in ours else ours for v, ours in chosen.items()}
        else:
            levels[part] = {value: int(ours) for value, ours in chosen.items()}
    name = name.strip()
    if not name:
        errors["name"] = [_("Name the mapping, to use it again for the next file.")]
    else:
        taken = ImportMapping.objects.filter(name__iexact=name)
        if job.mapping_id is not None:
            taken = taken.exclude(pk=job.mapping_id)
        if taken.exists():
            errors["name"] = [
                _("A mapping named “%(name)s” exists: choose another name, or that mapping on "
                  "the upload page.") % {"name": name}
            ]  # fmt: skip
    if source and not slug_re.fullmatch(source):
        errors["source"] = [_("A source is one word of letters, digits, - and _ (e.g. oldtool).")]
    if errors:
        raise ValidationError(errors)
    fmt = FORMATS[job.format]
    chosen_columns = {ours: "" for ours in FIELDS}
    chosen_columns.update({ours: sources[0] for ours, sources in fed.items()})
    mapping = job.mapping if job.mapping and job.mapping.name.lower() == name.lower() else None
    mapping = mapping or ImportMapping(created_by=actor)
    mapping.name, mapping.format, mapping.record_type = name, job.format, fmt.record_type
    mapping.columns, mapping.statuses, mapping.values = chosen_columns, statuses, levels
    mapping.source = source or fmt.source
    mapping.full_clean()
    mapping.save()
    job.mapping = mapping
    job.save(update_fields=["mapping"])
    return mapping
