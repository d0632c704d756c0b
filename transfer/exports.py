"""Exports of any registered record type that declares `export_columns` (servicedesk/registry):
CSV streamed row by row and XLSX written in openpyxl's write-only mode, both from a keyset
walk over the records the reader may see (`visible_to`) under the queue's filters (the type's
`export_filter`), so memory stays flat at a million rows; every text cell goes through
`csv_safe`, so nothing a requester typed runs as a formula. And the JSON of one record with its
timeline, for audits."""

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from openpyxl import Workbook

from customfields import selectors as custom_fields
from replies.selectors import record_tags, tags_by_record
from servicedesk.csvfiles import csv_safe
from servicedesk.models import ExternalKey
from servicedesk.registry import RecordType
from servicedesk.selectors import record_timeline

CHUNK = 2000

# Columns an app adds to every record type's export (time tracking's minutes): dotted paths of
# objects with `headers(record_type) -> [str]` and `values(record_type, ids) -> {id: tuple}`,
# asked once per chunk of records (one query each, never one per row).
EXTRA_COLUMNS: list[str] = []


def register_columns(path: str) -> None:
    if path not in EXTRA_COLUMNS:
        EXTRA_COLUMNS.append(path)


def export_rows(*, record_type: RecordType, user, params) -> tuple[list[str], Iterator[tuple]]:
    """The header and the rows (values, lazily, in chunks by primary key): the records of the
    queue's tab (`?queue=`, as the queue page reads it) under its filters; without a tab, every
    record the reader may see under the filters. `params`: the query string (a QueryDict), or a
    plain dict of values or lists of values."""
    if not hasattr(params, "lists"):
        params = MultiValueDict(
            {key: value if isinstance(value, list) else [value] for key, value in params.items()}
        )
    tab = params.get("queue", "")
    if tab and record_type.export_queue:
        rows = record_type.call("export_queue")(user=user, queue=tab)
    else:
        rows = record_type.visible(user)
    # The filter bar's "Any" sends an empty value, which is no filter (and not an invalid one).
    chosen = {key: values for key, values in params.lists() if key != "queue"}
    chosen = {key: kept for key, values in chosen.items() if (kept := [v for v in values if v])}
    if record_type.export_filter and chosen:
        filters = QueryDict(mutable=True)
        for key, values in chosen.items():
            filters.setlist(key, values)
        filterset = import_string(record_type.export_filter)(filters, queryset=rows)
        if filterset.is_valid():
            rows = filterset.qs
    paths = [path for _header, path in record_type.export_columns]
    header = [str(label) for label, _path in record_type.export_columns]
    extras = [import_string(path) for path in EXTRA_COLUMNS]
    for extra in extras:
        header += [str(label) for label in extra.headers(record_type)]
    custom_header, custom = custom_fields.export_part(record_type.key)
    header += custom_header
    header.append(str(_("Tags")))
    model = record_type.model_class

    def walk():
        last = 0
        while True:
            chunk = list(rows.filter(pk__gt=last).order_by("pk").values_list("pk", *paths)[:CHUNK])
            added = [
                (e.values(record_type, [r[0] for r in chunk]), e.headers(record_type))
                for e in extras
            ]
            custom_cells = (
                custom_fields.export_cells(model, [r[0] for r in chunk], custom) if custom else {}
            )
            # The tags of a chunk in one query (replies.selectors), as one "a, b" cell.
            tags = tags_by_record(model, [row[0] for row in chunk])
            for row in chunk:
                more: tuple = ()
                for values, labels in added:
                    more += values.get(row[0], ("",) * len(labels))
                yield (
                    *(_cell(value) for value in row[1:]),
                    *more,
                    *custom_cells.get(row[0], ()),
                    ", ".join(tags.get(row[0], ())),
                )
            if len(chunk) < CHUNK:
                return
            last = chunk[-1][0]

    return header, walk()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def xlsx_file(header: list[str], rows: Iterator[tuple]):
    """A temporary file holding the workbook (write-only: rows are not kept in memory)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Export")
    sheet.append(header)
    for row in rows:
        sheet.append(
            [value if isinstance(value, int | float) else csv_safe(value) for value in row]
        )
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    book.save(handle)
    handle.seek(0)
    return handle


def record_document(*, record, record_type: RecordType, user) -> dict[str, Any]:
    """One record whole, with its external ids and its timeline (events, comments, files)."""
    fields = {
        str(label): _cell(value)
        for (label, _path), value in zip(
            record_type.export_columns,
            type(record)
            .objects.filter(pk=record.pk)
            .values_list(*[p for _l, p in record_type.export_columns])
            .get(),
            strict=True,
        )
    }
    custom_header, custom = custom_fields.export_part(record_type.key)
    if custom:
        values = custom_fields.export_cells(type(record), [record.pk], custom)[record.pk]
        fields.update(zip(custom_header, values, strict=True))
    fields[str(_("Tags"))] = record_tags(record)
    external = list(
        ExternalKey.objects.filter(
            content_type__app_label=record._meta.app_label,
            content_type__model=record._meta.model_name,
            object_id=record.pk,
        ).values("source", "value")
    )
    timeline = []
    for entry in record_timeline(record=record, user=user):
        item = entry.item
        row: dict[str, Any] = {"kind": entry.kind, "at": entry.at.isoformat(),
                               "actor": str(entry.actor) if entry.actor else None}  # fmt: skip
        if entry.kind == "event":
            row.update(event=item.kind, field=item.field, old=item.old_value, new=item.new_value,
                       old_text=item.old_text, new_text=item.new_text, note=item.note)  # fmt: skip
        elif entry.kind == "comment":
            row.update(visibility=item.visibility, body=item.body)
        else:
            row.update(name=item.filename)
        timeline.append(row)
    return {"type": record_type.key, "number": record.number, "fields": fields,
            "external_ids": external, "timeline": timeline}  # fmt: skip
