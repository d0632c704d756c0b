"""Reading a file into records: decode, split into rows, convert each cell to our field's type,
group a record's update rows and order them. Pure (no database): what a row says is checked
here, what it names (people, groups, categories) by `services`.

Every problem is an `Issue` on the file's line (the header is line 1), so the dry run lists
them all; a record with an error on any of its lines is not imported.
"""

import contextlib
import csv
import functools
import heapq
import io
import itertools
import json
import pickle
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import IO, Any

from django.utils.translation import gettext as _

from transfer.encoding import decode, sniff_encoding
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

    MEMO = 200_000

    def __init__(self, fmt: Format, *, scales: dict[str, list[str]], tz: tzinfo):
        self.fmt, self.scales, self.tz = fmt, scales, tz
        # Memoised: an export repeats a record's times on each of its rows.
        self.date = functools.lru_cache(maxsize=8192)(self._date)
        self.memo: dict[tuple[str, Any], Any] = {}

    def cached(self, name: str, raw: Any) -> Any:
        """`self(name, raw)`, remembered: an export repeats its people, groups, states and a
        record's times on every row (forgotten every MEMO values, so memory stays flat)."""
        key = (name, raw)
        try:
            return self.memo[key]
        except KeyError:
            pass
        except TypeError:  # a JSON list or object
            return self(name, raw)
        value = self(name, raw)
        if len(self.memo) >= self.MEMO:
            self.memo.clear()
        self.memo[key] = value
        return value

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
            if pattern == "%d/%m/%Y %H:%M":  # ServiceNow's, read without strptime (6 M a million)
                moment = _day_month_year(text)
                if moment is not None:
                    return moment.replace(tzinfo=self.tz).astimezone(UTC)
                continue
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


def _day_month_year(text: str) -> datetime | None:
    """`d/m/yyyy HH:MM` as strptime reads it (None when it is not one)."""
    date, _space, clock = text.partition(" ")
    parts = [*date.split("/"), *clock.split(":")]
    if len(parts) != 5 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    day, month, year, hour, minute = parts
    if len(year) != 4 or not all(1 <= len(p) <= 2 for p in (day, month, hour, minute)):
        return None
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute))  # noqa: DTZ001
    except ValueError:
        return None


class _Lines:
    """A text file's lines, noting whether any holds U+FFFD (a byte the encoding could not
    read, or one the old tool wrote as such)."""

    def __init__(self, text: IO[str]):
        self.text, self.replaced = text, False

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            if "\ufffd" in line:
                self.replaced = True
            yield line


@dataclass
class Chunk:
    """Some whole records (every row of each) and the issues of their rows."""

    records: list[SourceRecord]
    issues: list[Issue]
    rows: int


class Stream:
    """A file read in two passes so that memory does not grow with it. The first (`open`)
    reads every row once, keeps what sorts it (the order its number first appears in, its
    sequence, its line) and its raw cells, sorted in runs spooled to temporary files; the
    second (`chunks`) merges the runs, so each record's rows arrive together and in order
    wherever they were in the file, converts them and hands over a few records at a time.
    Only the numbers seen (to give each its place) grow with the file: some 100 bytes a record.
    """

    RUN_ROWS = 50_000  # rows sorted in memory before a run is spooled
    BLOCK = 1000  # rows pickled together

    def __init__(self, fmt: Format, *, scales: dict[str, list[str]], time_zone: str):
        self.fmt = fmt
        self.convert = Converter(fmt, scales=scales, tz=zoneinfo.ZoneInfo(time_zone))
        self.by_column = {column: name for name, column in fmt.columns.items()}
        self.issues: list[Issue] = []  # the file's, and those of rows that make no record
        self.encoding, self.columns = "", list[str]()
        self.rows = self.records = 0
        self.grouped = False
        self._runs: list[IO[bytes]] = []
        self._last_run: list[tuple] = []
        self._header: list[str] = []
        self._mapped: list[tuple[str, int]] = []
        self._number_at: int | None = None
        self._helpdesk: list[SourceRecord] | None = None

    # --- the first pass ---------------------------------------------------------------

    def open(self, handle: IO[bytes]) -> "Stream":
        fmt = self.fmt
        self.encoding = sniff_encoding(handle)
        if fmt.kind == "helpdesk":
            text, self.encoding = decode(handle.read())
            self._replaced_warning("\ufffd" in text)
            reading = _read_helpdesk(
                text, fmt, encoding=self.encoding, scales=self.convert.scales, issues=self.issues
            )
            self._helpdesk, self.rows, self.records = reading.records, reading.rows, reading.rows
            self.columns = reading.columns
            return self
        wrapper = io.TextIOWrapper(handle, encoding=self.encoding, errors="replace", newline="")
        lines = _Lines(wrapper)
        rows = self._json_rows(lines) if fmt.kind == "jsonl" else self._csv_rows(wrapper, lines)
        if rows is not None:
            self._spool(rows)
        self._replaced_warning(lines.replaced)
        wrapper.detach()  # the caller closes the file
        return self

    def _replaced_warning(self, replaced: bool) -> None:
        if replaced:
            self.issues.insert(0, Issue(1, WARNING, _("Some characters could not be read as %(enc)s.")
                                        % {"enc": self.encoding}))  # fmt: skip

    def _csv_rows(self, text: IO[str], lines: _Lines):
        sample = text.read(5000)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        text.seek(0)
        rows = csv.reader(lines, dialect)
        header = [name.strip() for name in next(rows, [])]
        if not self._check_header(header):
            return None
        width = len(header)

        def cells():
            for row in rows:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != width:
                    yield rows.line_num, {"__bad__": _("%(got)d cells where the header has %(want)d.")
                                          % {"got": len(row), "want": width}}  # fmt: skip
                    continue
                yield rows.line_num, row

        return cells()

    def _json_rows(self, lines: _Lines):
        numbered = enumerate(lines, start=1)
        first = [(n, line) for n, line in itertools.islice(numbered, 200)]
        self.columns = sorted({k for _n, line in first for k in _keys(line)})
        self._header = []
        self.grouped = (
            bool(self.fmt.order_by) and self.fmt.columns.get(self.fmt.order_by) in self.columns
        )

        def objects():
            for number, line in itertools.chain(first, numbered):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    row = {"__bad__": _("This line is not a JSON object.")}
                yield number, row if isinstance(row, dict) else {"__bad__": _("Not an object.")}

        return objects()

    def _check_header(self, header: list[str]) -> bool:
        fmt = self.fmt
        self.columns = self._header = header
        missing = [
            fmt.columns.get(name, name)
            for name in fmt.required
            if fmt.columns.get(name) not in header
        ]
        if missing:
            self.issues.append(Issue(1, ERROR, _("Required columns are missing: %(cols)s.")
                                     % {"cols": ", ".join(missing)}))  # fmt: skip
            return False
        unknown = [c for c in header if c not in self.by_column and c not in fmt.known]
        if unknown:
            self.issues.append(Issue(1, WARNING, _("Columns not imported (unknown): %(cols)s.")
                                     % {"cols": ", ".join(unknown)}))  # fmt: skip
        self.grouped = bool(fmt.order_by) and fmt.columns.get(fmt.order_by) in header
        # Each column we read and where its cell is (the last of two with one name, as a dict)
        places = {column: at for at, column in enumerate(header)}
        self._mapped = [(self.by_column[c], places[c]) for c in dict.fromkeys(header)
                        if c in self.by_column]  # fmt: skip
        self._number_at = places.get(fmt.columns["number"])
        return True

    def _spool(self, rows) -> None:
        fmt = self.fmt
        places: dict[str, int] = {}
        run: list[tuple] = []
        number_column = fmt.columns["number"]
        sequence_column = fmt.columns.get(fmt.order_by, "")
        header = self._header
        number_at = header.index(number_column) if number_column in header else None
        sequence_at = header.index(sequence_column) if self.grouped and header else None
        for line, row in rows:
            self.rows += 1
            if isinstance(row, dict) and "__bad__" in row:
                self.issues.append(Issue(line, ERROR, str(row["__bad__"])))
                continue
            if header:
                raw_number = row[number_at] if number_at is not None else None
                raw_sequence = row[sequence_at] if sequence_at is not None else None
            else:
                raw_number, raw_sequence = row.get(number_column), row.get(sequence_column)
            number = self.convert("number", raw_number)
            if not number:  # reported with its cells' errors, as any row
                values, issues, _bad = self._values(line, row)
                self.issues.extend(issues)
                self.issues.append(Issue(line, ERROR, _("The row has no number."), field="number"))
                continue
            sequence = 0
            if self.grouped:
                with contextlib.suppress(ValueError):  # reported when the row is converted
                    sequence = self.convert("sequence", raw_sequence) or 0
            run.append((places.setdefault(number, len(places)), sequence, line, row))
            if len(run) >= self.RUN_ROWS:
                self._runs.append(self._spool_run(run))
                run = []
        self.records = len(places)
        run.sort(key=_place)
        self._last_run = run

    def _spool_run(self, run: list[tuple]) -> IO[bytes]:
        run.sort(key=_place)
        spool = tempfile.TemporaryFile(prefix="import-")  # noqa: SIM115 (closed by `close`)
        for start in range(0, len(run), self.BLOCK):
            pickle.dump(run[start : start + self.BLOCK], spool, protocol=pickle.HIGHEST_PROTOCOL)
        spool.seek(0)
        return spool

    # --- the second pass --------------------------------------------------------------

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The records, `size` at a time, in the order their numbers first appear."""
        if self._helpdesk is not None:
            whole = self._helpdesk
            for start in range(0, len(whole), size):
                part = whole[start : start + size]
                yield Chunk(part, [], sum(len(r.updates) for r in part))
            return
        records: list[SourceRecord] = []
        issues: list[Issue] = []
        rows = 0
        merged = heapq.merge(*(_unspool(run) for run in self._runs), self._last_run, key=_place)
        try:
            for _number, group in itertools.groupby(merged, key=_number_place):
                records.append(self._record([(line, row) for _n, _s, line, row in group], issues))
                rows += len(records[-1].updates)
                if len(records) >= size:
                    yield Chunk(records, issues, rows)
                    records, issues, rows = [], [], 0
            if records:
                yield Chunk(records, issues, rows)
        finally:
            self.close()

    def close(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._last_run = [], []

    def _values(self, line: int, row) -> tuple[dict[str, Any], list[Issue], bool]:
        """A row's cells converted to our fields: (values, issues, any error)."""
        number_column = self.fmt.columns["number"]
        if self._header:  # a CSV row: its cells, by the header's places
            cells = [(name, row[at]) for name, at in self._mapped]
            raw_number = row[self._number_at] if self._number_at is not None else ""
        else:
            cells = [(self.by_column[c], raw) for c, raw in row.items() if c in self.by_column]
            raw_number = row.get(number_column, "")
        values: dict[str, Any] = {}
        issues: list[Issue] = []
        convert = self.convert.cached
        for name, raw in cells:
            try:
                values[name] = convert(name, raw)
            except ValueError as error:
                issues.append(Issue(line, ERROR, str(error), str(raw_number), name))
        return values, issues, bool(issues)

    def _record(self, rows: list[tuple[int, Any]], issues: list[Issue]) -> SourceRecord:
        """One record from its rows (in order: sequence, then line)."""
        grouped = self.grouped
        record = SourceRecord("")
        seen: set[Any] = set()
        notes: list[tuple[int, Note]] = []
        for line, row in rows:
            values, found, bad = self._values(line, row)
            issues.extend(found)
            number = values["number"]
            record.number = number
            key = values.get("sequence") if grouped else None
            if key in seen:
                message = (
                    _("Update %(seq)s of %(number)s appears twice.")
                    % {"seq": key, "number": number}
                    if grouped
                    else _("The number %(number)s appears twice.") % {"number": number}
                )
                issues.append(Issue(line, ERROR, message, number, "number"))
                bad = True
            seen.add(key)
            record.updates.append(Update(line, values))
            for name, internal in (("comment", False), ("work_note", True)):
                if values.get(name):
                    notes.append((line, Note(values.get("updated_at"), values.get("author") or "",
                                             values[name], internal)))  # fmt: skip
            record.failed |= bad
        notes.sort(key=lambda pair: pair[0])  # in the file's order, as the rows came
        record.notes = [note for _line, note in notes]
        return record


def _place(item: tuple) -> tuple[int, int, int]:
    return item[0], item[1], item[2]


def _number_place(item: tuple) -> int:
    return item[0]


def _unspool(spool: IO[bytes]) -> Iterator[tuple]:
    while True:
        try:
            block = pickle.load(spool)  # noqa: S301 (our own temporary file)
        except EOFError:
            return
        yield from block


def _keys(line: str) -> list[str]:
    try:
        row = json.loads(line)
    except ValueError:
        return []
    return list(row) if isinstance(row, dict) else []


def stream(
    handle: IO[bytes], fmt: Format, *, scales: dict[str, list[str]], time_zone: str = "UTC"
) -> Stream:
    """Read the file in `handle` as `fmt` (the first pass): `chunks(size)` then gives its
    records, each with all its updates in order, and the issues of their rows."""
    return Stream(fmt, scales=scales, time_zone=time_zone).open(handle)


def read(
    data: bytes, fmt: Format, *, scales: dict[str, list[str]], time_zone: str = "UTC"
) -> Reading:
    """Read `data` as `fmt` at once: the records (their updates in order) and every issue
    found. For small files and tests; an import streams (`stream`)."""
    reading = stream(io.BytesIO(data), fmt, scales=scales, time_zone=time_zone)
    records: list[SourceRecord] = []
    issues = list(reading.issues)
    for chunk in reading.chunks(1000):
        records += chunk.records
        issues += chunk.issues
    return Reading(records, issues, reading.encoding, reading.rows, reading.columns)


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
