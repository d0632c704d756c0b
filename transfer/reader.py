"""Reading a file into records: decode, split into rows, convert each cell to our field's type,
group a record's update rows and order them. Pure (no database): what a row says is checked
here, what it names (people, groups, categories) by `services`.

Every problem is an `Issue` on the file's line (the header is line 1), so the dry run lists
them all; a record with an error on any of its lines is not imported.
"""

import csv
import functools
import io
import json
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.utils.translation import gettext as _

from transfer.encoding import decode
from transfer.formats.base import FALSE, FIELDS, TRUE, Format
from transfer.formats.helpdesk import PRIORITY_RANKS

ERROR, WARNING = "error", "warning"


@dataclass
class Issue:
    line: int
    level: str
    message: str
    number: str = ""
    field: str = ""


@dataclass
class Update:
    """One row: our fields, converted."""

    line: int
    values: dict[str, Any]


@dataclass
class Note:
    at: datetime | None
    author: str
    body: str
    internal: bool


@dataclass
class SourceRecord:
    number: str
    updates: list[Update] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    failed: bool = False

    @property
    def lines(self) -> list[int]:
        return [u.line for u in self.updates]

    @property
    def last(self) -> dict[str, Any]:
        """The record as its last update leaves it (a later empty cell keeps the earlier value
        only for the fields a source leaves out of some rows: times and texts)."""
        merged: dict[str, Any] = {}
        for update in self.updates:
            for name, value in update.values.items():
                if value is not None:
                    merged[name] = value
        return merged


@dataclass
class Reading:
    records: list[SourceRecord]
    issues: list[Issue]
    encoding: str
    rows: int
    columns: list[str]


class Converter:
    """Turns a cell into our field's value, or raises ValueError with the message to show."""

    def __init__(self, fmt: Format, *, scales: dict[str, list[str]], tz: tzinfo):
        self.fmt, self.scales, self.tz = fmt, scales, tz
        # Memoised: an export repeats a record's times on each of its rows.
        self.date = functools.lru_cache(maxsize=8192)(self._date)

    def __call__(self, name: str, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and raw.strip() in self.fmt.null):
            return None
        text = str(raw).strip()
        kind = FIELDS[name]
        mapped = self.fmt.values.get(name, {})
        if kind == "date":
            return self.date(text)
        if kind == "int":
            try:
                return int(text)
            except ValueError:
                raise ValueError(
                    _("“%(value)s” is not a whole number.") % {"value": text}
                ) from None
        if kind == "bool":
            if text.lower() in TRUE:
                return True
            if text.lower() in FALSE:
                return False
            raise ValueError(_("“%(value)s” is neither true nor false.") % {"value": text})
        if kind in ("scale", "rank"):
            rank = mapped.get(text)
            if rank is None and kind == "scale" and text in self.scales[name]:
                return text
            if rank is None and text.isdigit():
                rank = int(text)
            if rank is None:
                raise ValueError(
                    _("“%(value)s” is not a value the mapping knows.") % {"value": text}
                )
            if kind == "rank":
                return int(rank)
            codes = self.scales[name]
            if not isinstance(rank, int) or not 1 <= rank <= len(codes):
                raise ValueError(
                    _("Level %(rank)s is not on the %(count)d-level scale.")
                    % {"rank": rank, "count": len(codes)}
                )
            return codes[rank - 1]
        if kind == "choice":
            return mapped.get(text, text.lower())
        if kind == "status":
            target = self.fmt.statuses.get(text)
            if target is None:
                raise ValueError(_("The mapping has no status for “%(value)s”.") % {"value": text})
            return (target, "") if isinstance(target, str) else tuple(target)
        return text

    def _date(self, text: str) -> datetime:
        for pattern in self.fmt.date_formats:
            try:
                moment = datetime.strptime(text, pattern)  # noqa: DTZ007 (zone set below)
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            return moment.astimezone(UTC)
        raise ValueError(
            _("“%(value)s” is not a date as %(formats)s.")
            % {"value": text, "formats": " / ".join(self.fmt.date_formats)}
        )


def _rows(text: str, fmt: Format) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    if fmt.kind == "jsonl":
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]

        def objects():
            for number, line in lines:
                try:
                    row = json.loads(line)
                except ValueError:
                    row = {"__bad__": _("This line is not a JSON object.")}
                yield number, row if isinstance(row, dict) else {"__bad__": _("Not an object.")}

        columns = sorted({k for _n, line in lines[:200] for k in _keys(line)})
        return columns, objects()
    sample = text[:5000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [name.strip() for name in next(reader, [])]

    def dicts():
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield reader.line_num, {"__bad__": _("%(got)d cells where the header has %(want)d.")
                                        % {"got": len(row), "want": len(header)}}  # fmt: skip
                continue
            yield reader.line_num, dict(zip(header, row, strict=True))

    return header, dicts()


def _keys(line: str) -> list[str]:
    try:
        row = json.loads(line)
    except ValueError:
        return []
    return list(row) if isinstance(row, dict) else []


def read(
    data: bytes, fmt: Format, *, scales: dict[str, list[str]], time_zone: str = "UTC"
) -> Reading:
    """Read `data` as `fmt`: the records (their updates in order) and every issue found."""
    text, encoding = decode(data)
    issues: list[Issue] = []
    if "\ufffd" in text:
        issues.append(Issue(1, WARNING, _("Some characters could not be read as %(enc)s.")
                            % {"enc": encoding}))  # fmt: skip
    if fmt.kind == "helpdesk":
        return _read_helpdesk(text, fmt, encoding=encoding, scales=scales, issues=issues)
    convert = Converter(fmt, scales=scales, tz=zoneinfo.ZoneInfo(time_zone))
    header, rows = _rows(text, fmt)
    by_column = {column: name for name, column in fmt.columns.items()}
    missing = [
        fmt.columns.get(name, name) for name in fmt.required if fmt.columns.get(name) not in header
    ]
    if fmt.kind == "jsonl":
        missing = []
    if missing:
        issues.append(Issue(1, ERROR, _("Required columns are missing: %(cols)s.")
                            % {"cols": ", ".join(missing)}))  # fmt: skip
        return Reading([], issues, encoding, 0, header)
    unknown = [c for c in header if c not in by_column and c not in fmt.known]
    if unknown:
        issues.append(Issue(1, WARNING, _("Columns not imported (unknown): %(cols)s.")
                            % {"cols": ", ".join(unknown)}))  # fmt: skip
    grouped = bool(fmt.order_by) and fmt.columns.get(fmt.order_by) in header
    records: dict[str, SourceRecord] = {}
    seen: set[tuple[str, Any]] = set()
    count = 0
    for line, row in rows:
        count += 1
        if "__bad__" in row:
            issues.append(Issue(line, ERROR, str(row["__bad__"])))
            continue
        values: dict[str, Any] = {}
        bad = False
        for column, raw in row.items():
            name = by_column.get(column)
            if name is None:
                continue
            try:
                values[name] = convert(name, raw)
            except ValueError as error:
                issues.append(Issue(line, ERROR, str(error), str(row.get(fmt.columns["number"], "")),
                                    name))  # fmt: skip
                bad = True
        number = values.get("number")
        if not number:
            issues.append(Issue(line, ERROR, _("The row has no number."), field="number"))
            continue
        key = (number, values.get("sequence") if grouped else None)
        if key in seen:
            message = (
                _("Update %(seq)s of %(number)s appears twice.") % {"seq": key[1], "number": number}
                if grouped
                else _("The number %(number)s appears twice.") % {"number": number}
            )
            issues.append(Issue(line, ERROR, message, number, "number"))
            bad = True
        seen.add(key)
        record = records.setdefault(number, SourceRecord(number))
        record.updates.append(Update(line, values))
        for name, internal in (("comment", False), ("work_note", True)):
            if values.get(name):
                record.notes.append(Note(values.get("updated_at"), values.get("author") or "",
                                         values[name], internal))  # fmt: skip
        record.failed |= bad
    failed = {i.number for i in issues if i.level == ERROR}
    for record in records.values():
        if grouped:
            record.updates.sort(key=lambda u: (u.values.get("sequence") or 0, u.line))
        record.failed |= record.number in failed
    return Reading(list(records.values()), issues, encoding, count, header)


def _read_helpdesk(text, fmt, *, encoding, scales, issues) -> Reading:
    try:
        objects = json.loads(text)
    except ValueError:
        issues.append(Issue(1, ERROR, _("This is not a django-helpdesk JSON export.")))
        return Reading([], issues, encoding, 0, [])
    if not isinstance(objects, list):
        objects = []
    by_model: dict[str, dict[Any, dict]] = {}
    for item in objects:
        if isinstance(item, dict) and "model" in item:
            by_model.setdefault(item["model"], {})[item.get("pk")] = item.get("fields", {})
    users = {
        pk: f.get("email") or f.get("username", "")
        for pk, f in by_model.get("auth.user", {}).items()
    }
    queues = {pk: f.get("title", "") for pk, f in by_model.get("helpdesk.queue", {}).items()}
    convert = Converter(fmt, scales=scales, tz=UTC)
    records: dict[Any, SourceRecord] = {}
    finals: dict[Any, tuple[tuple[str, str], datetime]] = {}
    for n, (pk, ticket) in enumerate(by_model.get("helpdesk.ticket", {}).items(), start=1):
        number = f"{pk}"
        impact_rank, urgency_rank = PRIORITY_RANKS.get(int(ticket.get("priority") or 3), (2, 2))
        values: dict[str, Any] = {
            "number": number,
            "title": ticket.get("title", ""),
            "description": ticket.get("description", "") or "",
            "requester": ticket.get("submitter_email") or "",
            "group": queues.get(ticket.get("queue"), ""),
            "assignee": users.get(ticket.get("assigned_to"), "") or None,
            "resolution_notes": ticket.get("resolution") or "",
            "impact": scales["impact"][min(impact_rank, len(scales["impact"])) - 1],
            "urgency": scales["urgency"][min(urgency_rank, len(scales["urgency"])) - 1],
        }
        try:
            values["opened_at"] = convert.date(str(ticket.get("created", "")).replace("Z", "+0000"))
            values["status"] = convert("status", "1")  # opened; the follow-ups move it on
            final = convert("status", str(ticket.get("status", "")))
            modified = convert.date(str(ticket.get("modified", "")).replace("Z", "+0000"))
        except ValueError as error:
            issues.append(Issue(n, ERROR, str(error), number))
            records[pk] = SourceRecord(number, [Update(n, values)], failed=True)
            continue
        records[pk] = SourceRecord(number, [Update(n, values)])
        finals[pk] = (final, modified)
    followups = sorted(
        by_model.get("helpdesk.followup", {}).items(), key=lambda kv: str(kv[1].get("date"))
    )
    for _pk, follow in followups:
        record = records.get(follow.get("ticket"))
        if record is None:
            continue
        try:
            at = convert.date(str(follow.get("date", "")).replace("Z", "+0000"))
        except ValueError as error:
            issues.append(Issue(record.updates[0].line, ERROR, str(error), record.number))
            record.failed = True
            continue
        author = users.get(follow.get("user"), "")
        if follow.get("comment"):
            record.notes.append(Note(at, author, follow["comment"], not follow.get("public", True)))
        if follow.get("new_status") is not None:
            try:
                status = convert("status", str(follow["new_status"]))
            except ValueError as error:
                issues.append(Issue(record.updates[0].line, ERROR, str(error), record.number))
                record.failed = True
                continue
            line = record.updates[0].line
            values = {"number": record.number, "status": status, "updated_at": at}
            if status[0] == "resolved":
                values["resolved_at"] = at
            if status[0] == "closed":
                values["closed_at"] = at
            record.updates.append(Update(line, values))
    for pk, (final, modified) in finals.items():
        record = records[pk]
        if record.updates[-1].values["status"] != final:  # a status set without a follow-up
            values = {"number": record.number, "status": final, "updated_at": modified}
            values.update(
                {f"{final[0]}_at": modified} if final[0] in ("resolved", "closed") else {}
            )
            record.updates.append(Update(record.updates[0].line, values))
    return Reading(list(records.values()), issues, encoding, len(records), ["helpdesk"])
