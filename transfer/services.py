"""Imports of records with their history: every write of the import app.

`import_job_create` stores the file and its options (nothing is read yet); `import_run` reads
it (`reader.read`), checks every record against the reference data (people, groups,
categories, services, resolution codes: found by external id or name, created on the fly only
when the job says so), then, unless it is a dry run, writes the records as they were: our
number with theirs kept beside it (`ExternalKey`, unique per source: a record is never
imported twice), their times, final status, counts, the audit timeline rebuilt from the
updates and the comments with their authors.

Imported history bypasses the workflow's guards here and only here: the rows are written in
bulk (no transition runs), and every record's first timeline entry is an "Imported" event by
the system actor naming the source and the job. All or nothing: one transaction, and nothing
is written when any record has an error. Per batch: each batch of records is one
transaction, and records with errors are left out (and reported).
"""

import contextlib
import io
import pickle
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk import registry
from servicedesk import services as kernel
from servicedesk.actors import system_actor
from servicedesk.bulk import insert_rows, reserve_ids, stored_as_given
from servicedesk.jobs import enqueue_on_commit
from servicedesk.models import AuditEvent, AuditKind, Comment, ExternalKey, Visibility
from servicedesk.numbering import reserve_record_numbers
from servicedesk.reference import reference_kind
from servicedesk.workflow import Meaning
from sla.models import SlaTimer
from sla.services.history import Policies, Step, timers_kept, timers_replayed
from transfer import reader
from transfer.formats import FORMATS, Format
from transfer.models import ImportIssue, ImportJob, ImportMapping, ImportMode, JobStatus, SlaMode
from transfer.tasks import refresh_after_import_task

__all__ = ["ImportMapping", "import_job_create", "import_run", "job_progress"]

IMPORT_PERMISSION = "transfer.add_importjob"
PROGRESS_KEY = "transfer:job-progress:{}"
# What each of our fields names, and the reference kind it is found in.
REFERENCES = {
    "requester": ("user", _("person")),
    "assignee": ("user", _("person")),
    "author": ("user", _("person")),
    "group": ("group", _("support group")),
    "organisation": ("organisation", _("organisation")),
    "category": ("category", _("category")),
    "service": ("service", _("service")),
    "resolution_code": ("resolution_code", _("resolution code")),
}
MAX_FILE_BYTES = 2 * 1024**3


def ensure_can_import(actor) -> None:
    if not actor.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied(_("Only administrators import records."))


def job_format(job: ImportJob) -> Format:
    """The job's format with its saved mapping laid over it."""
    fmt = FORMATS[job.format]
    mapping = job.mapping
    if mapping is None:
        return fmt
    return fmt.with_mapping(
        columns=mapping.columns, statuses=mapping.statuses, values=mapping.values,
        source=mapping.source,
    )  # fmt: skip


def import_job_create(
    *,
    actor,
    data: bytes | IO[bytes],
    file_name: str,
    format: str,
    mapping: ImportMapping | None = None,
    mode: str = ImportMode.ALL,
    batch_size: int = 1000,
    create_missing: bool = False,
    sla_mode: str = SlaMode.KEEP,
    time_zone: str = "UTC",
    dry_run: bool = True,
) -> ImportJob:
    """Store a file to import (`data`: its bytes, or an open binary file, copied block by
    block) and how (checked: ValidationError by field, nothing stored). PermissionDenied for
    anyone but an administrator."""
    ensure_can_import(actor)
    errors: dict[str, list[str]] = {}
    if format not in FORMATS:
        errors["format"] = [_("Choose one of: %(f)s.") % {"f": ", ".join(FORMATS)}]
    content: File
    if isinstance(data, bytes):
        size, content = len(data), ContentFile(data)
    else:
        size, content = data.seek(0, io.SEEK_END), File(data)
        data.seek(0)
    if not size:
        errors["file"] = [_("The file is empty.")]
    elif size > MAX_FILE_BYTES:
        errors["file"] = [_("The file is larger than 2 GB.")]
    if mode not in ImportMode.values:
        errors["mode"] = [_("Choose all or batch.")]
    if sla_mode not in SlaMode.values:
        errors["sla_mode"] = [_("Choose keep or recompute.")]
    if not 1 <= batch_size <= 50_000:
        errors["batch_size"] = [_("A batch has 1 to 50,000 records.")]
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError):
        errors["time_zone"] = [_("“%(tz)s” is not a time zone we know.") % {"tz": time_zone}]
    if errors:
        raise ValidationError(errors)
    job = ImportJob(
        mapping=mapping, format=format, file_name=file_name[:255], mode=mode,
        batch_size=batch_size, create_missing=create_missing, sla_mode=sla_mode,
        time_zone=time_zone, dry_run=dry_run, created_by=actor,
    )  # fmt: skip
    job.file.save(file_name or "import.csv", content, save=False)
    job.save()
    return job


def job_progress(job: ImportJob) -> dict[str, Any]:
    """Rows done, errors and time left: the running job's figures from the cache (a job
    writing in one transaction shows nothing in its row until it commits), else its row's."""
    live = cache.get(PROGRESS_KEY.format(job.pk)) or {}
    figures = {
        "status": job.status,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "records_total": job.records_total,
        "records_written": job.records_written,
        "errors": job.errors,
        "warnings": job.warnings,
        **live,
    }
    if figures["status"] != JobStatus.RUNNING:
        figures["seconds_left"] = None
    figures.setdefault("seconds_left", None)  # known once the first records are checked
    return figures


# --- Checking: what each record names ---------------------------------------------------------


@dataclass(frozen=True)
class ToCreate:
    """What a record names that the desk does not have yet and the import makes: a row to
    create (`kind`, `value`), or its attribute `attr`. Stands in the built record until the
    record is written, once the rows of its chunk exist (`Resolver.settle`)."""

    kind: str
    value: str
    attr: str = ""


class Resolver:
    """Finds what records name (memoised: a file names the same group thousands of times).
    What is not found is created, when the job says so, in bulk before the records naming it
    are written (`create_requested`); until then a `ToCreate` stands for it, and a dry run's
    report warns that it will be created."""

    def __init__(self, *, source: str, create: bool, actor, report: bool = True):
        self.source, self.create, self.actor = source, create, actor
        self.report = report  # a real run does not warn of what it creates
        self.memo: dict[tuple[str, str], Any] = {}
        self.indexes: dict[str, dict[str, Any]] = {}
        self.requested: list[tuple[str, str]] = []  # (kind, value) to create

    def index(self, kind) -> dict[str, Any]:
        """Every row of a kind by its external id (this source's) and its lower-cased names:
        one query per kind instead of one per value (a file names thousands of people)."""
        if kind.key in self.indexes:
            return self.indexes[kind.key]
        manager = kind.model_class._default_manager
        rows = {row.pk: row for row in manager.all()}
        found: dict[str, Any] = {}
        for field_name in reversed(kind.name_fields):  # the first name field wins
            for row in rows.values():
                value = getattr(row, field_name, "")
                parent_id = (
                    getattr(row, f"{kind.parent_field}_id", None) if kind.parent_field else None
                )
                if parent_id is not None:
                    parent = rows.get(parent_id)
                    value = f"{getattr(parent, field_name, '')} / {value}" if parent else ""
                if value:
                    found.setdefault(str(value).strip().lower(), row)
        content_type = ContentType.objects.get_for_model(kind.model_class)
        for object_id, value in ExternalKey.objects.filter(
            content_type=content_type, source=self.source
        ).values_list("object_id", "value"):
            if object_id in rows:
                found[f"\x00{value}"] = rows[object_id]
        self.indexes[kind.key] = found
        return found

    def __call__(self, name: str, value: str) -> tuple[Any, str, str]:
        """(row, a `ToCreate` or None; error; warning). A row to create is noted in
        `requested`."""
        answer = self._answer(name, value)
        if isinstance(answer[0], ToCreate):
            self.requested.append((answer[0].kind, value))
        return answer

    def create_requested(self) -> None:
        """Create the rows noted as to be created, in bulk per kind (people by the thousand),
        and know them from now on."""
        values: dict[str, list[str]] = {}
        for key_name, value in self.requested:
            values.setdefault(key_name, []).append(value)
        self.requested = []
        for key_name, names in values.items():
            kind = reference_kind(key_name)
            made = kernel.reference_create_many(
                kind=kind, values=names, actor=self.actor, source=self.source
            )
            index = self.index(kind)
            for value, row in made.items():
                key = value.strip().lower()
                index[key] = row
                self.memo[(key_name, key)] = (row, "", "")

    def settle(self, built: "Built") -> None:
        """Put the rows now created in place of what stood for them."""
        fields = built.fields
        for name, value in fields.items():
            if isinstance(value, ToCreate):
                fields[name] = self.created(value)
        built.notes = [
            (at, self.created(author) if isinstance(author, ToCreate) else author, body, internal)
            for at, author, body, internal in built.notes
        ]

    def created(self, wanted: ToCreate) -> Any:
        row = self.memo[(wanted.kind, wanted.value.strip().lower())][0]
        return getattr(row, wanted.attr) if wanted.attr else row

    def _answer(self, name: str, value: str) -> tuple[Any, str, str]:
        key_name, label = REFERENCES[name]
        key = (key_name, value.strip().lower())
        if key in self.memo:
            return self.memo[key]
        kind = reference_kind(key_name)
        index = self.index(kind)
        found = index.get(f"\x00{value}") or index.get(key[1])
        answer: tuple[Any, str, str]
        if found is not None:
            answer = (found, "", "")
        elif not self.create:
            answer = (
                None,
                _("Unknown %(what)s “%(value)s”.") % {"what": label, "value": value},
                "",
            )
        else:
            warning = _("%(what)s “%(value)s” will be created.") % {"what": label, "value": value}
            answer = (ToCreate(key_name, value), "", warning if self.report else "")
        self.memo[key] = (answer[0], answer[1], "")  # a warning once, an error on every record
        return answer


@dataclass
class Built:
    """One record ready to write: its fields, its timeline and its comments."""

    source: reader.SourceRecord
    fields: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[datetime, Any, str, bool]] = field(default_factory=list)
    # The history's status changes and the source's SLA outcome, for the record's timers.
    steps: list[Step] = field(default_factory=list)
    made_sla: bool | None = None


def _attr(row, name: str) -> Any:
    """A found row's attribute, or what stands for it until the row is created."""
    if isinstance(row, ToCreate):
        return ToCreate(row.kind, row.value, name)
    return getattr(row, name, None)


def _times(record: reader.SourceRecord, opened: datetime) -> list[datetime]:
    """When each update happened: its own time when the file has one, else the resolution or
    closure it reached, else spread evenly between the known times around it."""
    updates = record.updates
    known: list[datetime | None] = []
    for n, update in enumerate(updates):
        values = update.values
        status = (values.get("status") or ("", ""))[0]
        previous = (updates[n - 1].values.get("status") or ("", ""))[0] if n else ""
        at = values.get("updated_at")
        if at is None and n == 0:
            at = opened
        if at is None and status != previous and status in ("resolved", "closed"):
            at = values.get(f"{status}_at")
        known.append(at)
    end = record.last.get("closed_at") or record.last.get("resolved_at") or known[-1] or opened
    if known[-1] is None:
        known[-1] = max(end, opened)
    times: list[datetime] = []
    for n, at in enumerate(known):
        if at is None:  # the last one is known, so a later anchor exists
            j = next(i for i in range(n + 1, len(known)) if known[i] is not None)
            before = times[-1]
            after = known[j] or before
            at = before + (after - before) / (j - n + 1)
        times.append(max(at, times[-1]) if times else at)
    return times


class Checker:
    """Turns a source record into a `Built`, or reports why not (issues on its lines)."""

    def __init__(self, *, job: ImportJob, fmt: Format, record_type, resolve: Resolver):
        from incidents.priority import current_matrix  # the matrix: incidents own it

        self.job, self.fmt, self.record_type, self.resolve = job, fmt, record_type, resolve
        self.model = record_type.model_class
        self.has = {f.name for f in self.model._meta.concrete_fields}
        self.matrix = current_matrix() if {"impact", "urgency"} <= self.has else {}
        self.states = set(self.model.WORKFLOW.states)
        self.label = str(fmt.label)
        self.imported_note = _("Imported from %(source)s %(number)s (import %(job)s).")
        self.labels = {k: str(v) for k, v in self.model._meta.get_field("status").flatchoices}
        self.system = resolve.actor
        self.issues: list[reader.Issue] = []
        self.error_count = 0  # counted, not summed per record: a file may warn thousands of times

    def issue(self, record, level, message, name=""):
        self.issues.append(
            reader.Issue(record.updates[-1].line, level, message, record.number, name)
        )
        self.error_count += level == reader.ERROR

    def ref(self, record, name: str, value: str | None, *, required=False):
        if not value:
            return None
        row, error, warning = self.resolve(name, value)
        if error:
            self.issue(record, reader.ERROR, error, name)
        elif warning:
            self.issue(record, reader.WARNING, warning, name)
        return row

    def build(self, record: reader.SourceRecord) -> Built | None:
        if record.failed:  # its rows' errors are reported already
            return None
        errors_before = self.error_count
        requested_before = len(self.resolve.requested)
        last = record.last
        opened = last.get("opened_at")
        if opened is None:
            self.issue(record, reader.ERROR, _("No opening time."), "opened_at")
            return None
        status, pending = last["status"]
        if status not in self.states:
            self.issue(record, reader.ERROR, _("“%(s)s” is not a status of this record type.")
                       % {"s": status}, "status")  # fmt: skip
        requester = self.ref(record, "requester", last.get("requester"))
        group = self.ref(record, "group", last.get("group"))
        assignee = self.ref(record, "assignee", last.get("assignee"))
        fields: dict[str, Any] = {
            "title": (last.get("title") or _("%(source)s %(number)s")
                      % {"source": self.fmt.label, "number": record.number})[:200],
            "description": last.get("description") or "",
            "requester": requester or self.system,
            "support_group": group,
            "assignee": assignee,
            "status": status,
            "created_at": opened,
        }  # fmt: skip
        if "organisation" in self.has:
            organisation = self.ref(record, "organisation", last.get("organisation"))
            fields["organisation_id"] = (
                _attr(organisation, "pk") if organisation else _attr(requester, "organisation_id")
            )
        if "category" in self.has:
            category = self.ref(record, "category", last.get("category"))
            sub = last.get("subcategory")
            fields["category"] = category
            if sub and last.get("category"):
                fields["subcategory"] = self.ref(record, "category", f"{last['category']} / {sub}")
        if "service" in self.has:
            fields["service"] = self.ref(record, "service", last.get("service"))
        if "pending_reason" in self.has:
            fields["pending_reason"] = pending if status == "pending" else ""
        if "channel" in self.has and last.get("channel"):
            channels = dict(self.model._meta.get_field("channel").flatchoices)
            if last["channel"] in channels:
                fields["channel"] = last["channel"]
            else:
                self.issue(record, reader.WARNING, _("Channel “%(c)s” is not ours; kept as the default.")
                           % {"c": last["channel"]}, "channel")  # fmt: skip
        if "resolution_code" in self.has and status in ("resolved", "closed"):
            code = self.ref(record, "resolution_code", last.get("resolution_code"))
            fields["resolution_code"] = _attr(code, "code") or ""
            fields["resolution_notes"] = last.get("resolution_notes") or ""
        times = _times(record, opened)
        self._counts_and_times(record, fields, times)
        if self.matrix:
            self._priority(record, fields, last)
        elif "priority" in self.has:
            fields["priority"] = last.get("priority") or 3
        if self.error_count > errors_before or record.failed:
            del self.resolve.requested[requested_before:]  # not written: nothing to create
            return None
        built = Built(record, fields, made_sla=last.get("made_sla"))
        built.steps = [Step(at, *update.values["status"])
                       for update, at in zip(record.updates, times, strict=True)]  # fmt: skip
        self._timeline(built, times)
        for note in record.notes:
            author = self.ref(record, "author", note.author) if note.author else None
            built.notes.append((note.at or fields["updated_at"], author or self.system,
                                note.body, note.internal))  # fmt: skip
        return built

    def _priority(self, record, fields, last):
        for axis in ("impact", "urgency"):
            if last.get(axis) is None:
                self.issue(record, reader.ERROR, _("No %(axis)s.") % {"axis": axis}, axis)
                return
            fields[axis] = last[axis]
        fields["priority"] = self.matrix.get((fields["impact"], fields["urgency"]))
        if fields["priority"] is None:
            self.issue(
                record,
                reader.ERROR,
                _("The matrix has no cell for this impact and urgency."),
                "priority",
            )
        elif last.get("priority") not in (None, fields["priority"]):
            self.issue(record, reader.WARNING, _("The source gave priority %(theirs)s; the matrix gives %(ours)s.")
                       % {"theirs": last["priority"], "ours": fields["priority"]}, "priority")  # fmt: skip

    def _counts_and_times(self, record, fields, times):
        last, statuses = record.last, [u.values["status"][0] for u in record.updates]
        groups = [u.values.get("group") for u in record.updates]
        fields["updated_at"] = times[-1]
        done = {"resolved", "closed"}
        if "resolved_at" in self.has:
            fields["resolved_at"] = last.get("resolved_at") if statuses[-1] in done else None
            if statuses[-1] in done and fields["resolved_at"] is None:
                fields["resolved_at"] = next(
                    t for s, t in zip(statuses, times, strict=True) if s in done
                )
        if "closed_at" in self.has:
            fields["closed_at"] = (
                (last.get("closed_at") or times[-1]) if statuses[-1] == "closed" else None
            )
        if "first_responded_at" in self.has:
            moved = next(
                (t for s, t in zip(statuses, times, strict=True) if s not in ("new", "")), None
            )
            fields["first_responded_at"] = last.get("first_response_at") or moved
        if "reopen_count" in self.has:
            counted = sum(
                1
                for a, b in zip(statuses, statuses[1:], strict=False)
                if a in done and b not in done
            )
            fields["reopen_count"] = last.get("reopen_count", counted) or 0
        if "reassignment_count" in self.has:
            moves = [g for g in groups if g]
            counted = sum(1 for a, b in zip(moves, moves[1:], strict=False) if a != b)
            fields["reassignment_count"] = last.get("reassignment_count", counted) or 0

    def _timeline(self, built: Built, times: list[datetime]) -> None:
        """The audit rows an import leaves: "Imported", then each change between updates."""
        source, job = self.fmt.source, self.job
        events = built.events
        events.append({"kind": AuditKind.IMPORTED, "created_at": times[0], "new_text": built.source.number,
                       "new_value": {"source": source, "number": built.source.number, "job": job.pk},
                       "note": self.imported_note
                       % {"source": self.label, "number": built.source.number, "job": job.pk}})  # fmt: skip
        previous: dict[str, Any] = {}
        for update, at in zip(built.source.updates, times, strict=True):
            values = update.values
            status = values["status"][0]
            if previous and status != previous["status"]:
                events.append({"kind": AuditKind.STATUS_CHANGED, "created_at": at, "field": "status",
                               "old_value": previous["status"], "new_value": status,
                               "old_text": self.labels.get(previous["status"], previous["status"]),
                               "new_text": self.labels.get(status, status)})  # fmt: skip
            for name, ours in (("group", "support_group"), ("assignee", "assignee")):
                value = values.get(name)
                if previous and value and value != previous.get(name):
                    events.append({"kind": AuditKind.ASSIGNED, "created_at": at, "field": ours,
                                   "old_text": (previous.get(name) or "")[:255], "new_text": value[:255],
                                   "public": False})  # fmt: skip
            previous = {"status": status, "group": values.get("group") or previous.get("group"),
                        "assignee": values.get("assignee") or previous.get("assignee")}  # fmt: skip


# --- Running ----------------------------------------------------------------------------------


def _already_imported(model, source: str, numbers: list[str]) -> dict[str, int]:
    content_type = ContentType.objects.get_for_model(model)
    return dict(
        ExternalKey.objects.filter(
            content_type=content_type, source=source, value__in=numbers
        ).values_list("value", "object_id")
    )


def _write(
    built: list[Built], *, model, source: str, actor, sla: "_Sla | None"
) -> list[models.Model]:
    """Bulk rows: the records with their numbers, external keys, audit events, comments and
    (for a timed record type) SLA timers."""
    numbers = reserve_record_numbers(model.NUMBER_PREFIX, len(built))
    rows = [
        model(number=number, version=1, **b.fields)
        for b, number in zip(built, numbers, strict=True)
    ]
    ids = reserve_ids(model, len(rows))
    if ids is None:
        with stored_as_given(model):
            rows = model.objects.bulk_create(rows, batch_size=1000)
    else:
        for row, pk in zip(rows, ids, strict=True):
            row.pk = pk
        insert_rows(model, rows, with_ids=True)
    content_type = ContentType.objects.get_for_model(model)
    ct = content_type.pk
    pairs = list(zip(rows, built, strict=True))
    insert_rows(ExternalKey, ({"content_type_id": ct, "object_id": row.pk, "source": source,
                             "value": b.source.number} for row, b in pairs))  # fmt: skip
    insert_rows(AuditEvent, ({"content_type_id": ct, "object_id": row.pk, "actor_id": actor.pk, **event}
                           for row, b in pairs for event in b.events))  # fmt: skip
    insert_rows(Comment, ({"content_type_id": ct, "object_id": row.pk, "created_at": at,
                         "author_id": author.pk, "body": body,
                         "visibility": Visibility.INTERNAL if internal else Visibility.PUBLIC}
                        for row, b in pairs for at, author, body, internal in b.notes))  # fmt: skip
    if sla is not None:
        insert_rows(SlaTimer, (t for row, b in pairs for t in sla.timers(row, b)))
    return rows


class _Sla:
    """The timers of imported records: the source's outcome kept, or our clocks replayed on
    the history (`sla.services.history`); open records get live timers either way."""

    def __init__(self, *, model, record_type: str, mode: str, source: str):
        self.mode, self.source = mode, source
        self.content_type = ContentType.objects.get_for_model(model)
        self.policies = Policies(record_type)
        self.resolved = set(model.WORKFLOW.states_meaning(Meaning.RESOLVED))
        self.now = timezone.now()
        self.counts = {"kept": 0, "replayed": 0, "live": 0, "none": 0}

    def timers(self, row, built: Built) -> list[SlaTimer]:
        done = row.status in self.resolved
        ended = getattr(row, "resolved_at", None) or getattr(row, "closed_at", None)
        if self.mode == SlaMode.KEEP and done:
            if built.made_sla is None or ended is None:
                self.counts["none"] += 1
                return []
            timers = timers_kept(row, content_type=self.content_type, policies=self.policies,
                                 met=built.made_sla, ended_at=ended, source=self.source)  # fmt: skip
            kind = "kept"
        else:
            timers = timers_replayed(
                row, content_type=self.content_type, policies=self.policies, steps=built.steps,
                first_response_at=getattr(row, "first_responded_at", None), now=self.now,
            )  # fmt: skip
            kind = "replayed" if done else "live"
        self.counts[kind if timers else "none"] += 1
        return timers


class _IssueSpool:
    """A run's report, kept on disk until the run ends (a file may warn on every record), then
    written as the job's issues: outside the run's transaction, so a rolled-back import still
    reports why."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(prefix="import-issues-")  # noqa: SIM115 (`save` closes it)
        self.errors = self.warnings = 0

    def add(self, issues: list[reader.Issue]) -> None:
        issues = _unique(issues)  # an issue's line is in one chunk only
        if not issues:
            return
        self.errors += sum(1 for i in issues if i.level == reader.ERROR)
        self.warnings += sum(1 for i in issues if i.level != reader.ERROR)
        pickle.dump(issues, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def save(self, job: ImportJob) -> None:
        self.file.seek(0)
        while True:
            try:
                issues = pickle.load(self.file)  # noqa: S301 (our own temporary file)
            except EOFError:
                break
            insert_rows(ImportIssue, ({"job_id": job.pk, "line": i.line, "number": i.number[:100],
                                       "level": i.level, "field": i.field, "message": i.message}
                                      for i in issues))  # fmt: skip
        self.file.close()


class _Run:
    """One run of a job over its file's chunks: check each chunk's records (built once), then
    write those that passed, unless it is a dry run or, all or nothing, a record failed."""

    def __init__(self, job: ImportJob, *, fmt: Format, record_type, actor, on_batch):
        self.job, self.fmt, self.actor, self.on_batch = job, fmt, actor, on_batch
        self.model = record_type.model_class
        self.resolve = Resolver(source=fmt.source, create=job.create_missing, actor=actor,
                                report=job.dry_run)  # fmt: skip
        self.checker = Checker(job=job, fmt=fmt, record_type=record_type, resolve=self.resolve)
        self.sla = (
            _Sla(model=self.model, record_type=record_type.key, mode=job.sla_mode,
                 source=fmt.source)
            if record_type.timed and not job.dry_run
            else None
        )  # fmt: skip
        self.issues = _IssueSpool()
        self.all_or_nothing = job.mode == ImportMode.ALL
        self.writing = not job.dry_run
        # A refresh still owed from an earlier run of the job (it died) stays owed.
        self.owed: list[list[int]] = list(job.refresh_ranges) if job.refresh_pending else []
        self.ranges = [list(pair) for pair in self.owed]
        self.rows_done = self.records_done = self.written = self.failed = 0
        self.clock = time.monotonic()

    def over(self, chunks: Iterator[reader.Chunk]) -> None:
        whole = self.writing and self.all_or_nothing
        with transaction.atomic() if whole else contextlib.nullcontext():
            for chunk in chunks:
                self.step(chunk)
            if whole and self.failed:  # nothing is kept; the rest of the file was checked
                transaction.set_rollback(True)
                self.written, self.ranges = 0, self.owed

    def step(self, chunk: reader.Chunk) -> None:
        built = self.check(chunk)
        if self.all_or_nothing and self.failed:
            self.writing = False
        if self.writing:
            with transaction.atomic():  # per batch: this chunk's records, or none of them
                self.write(built)

    def check(self, chunk: reader.Chunk) -> list[Built]:
        checker, records = self.checker, chunk.records
        self.issues.add(chunk.issues)
        seen = _already_imported(self.model, self.fmt.source, [r.number for r in records])
        for record in records:
            if record.number in seen:
                checker.issue(record, reader.ERROR,
                              _("%(number)s was imported before.") % {"number": record.number},
                              "number")  # fmt: skip
                record.failed = True
        built = [b for b in (checker.build(r) for r in records) if b is not None]
        self.failed += len(records) - len(built)
        self.issues.add(checker.issues)
        checker.issues = []
        if not self.writing:
            self.resolve.requested = []  # nothing is created
        self.rows_done += chunk.rows
        self.records_done += len(records)
        self.progress()
        return built

    def write(self, built: list[Built]) -> None:
        if not built:  # every record of the chunk failed
            return
        self.resolve.create_requested()
        for one in built:
            self.resolve.settle(one)
        rows = _write(built, model=self.model, source=self.fmt.source, actor=self.actor,
                      sla=self.sla)  # fmt: skip
        self.written += len(rows)
        if not rows:
            return
        first, last = min(r.pk for r in rows), max(r.pk for r in rows)
        if self.ranges and self.ranges[-1][1] + 1 == first:
            self.ranges[-1][1] = last
        else:
            self.ranges.append([first, last])
        # With the records: the dashboards' refresh is owed as surely as they are written.
        ImportJob.objects.filter(pk=self.job.pk).update(
            refresh_pending=True, refresh_ranges=self.ranges
        )

    def progress(self) -> None:
        job = self.job
        spent = time.monotonic() - self.clock
        left = job.records_total - self.records_done
        progress = {"status": JobStatus.RUNNING, "rows_done": self.rows_done,
                    "records_done": self.records_done, "records_written": self.written,
                    "errors": self.issues.errors, "warnings": self.issues.warnings,
                    "seconds_left": int(spent / self.records_done * left)}  # fmt: skip
        cache.set(PROGRESS_KEY.format(job.pk), progress, timeout=3600)
        if self.on_batch:
            self.on_batch(progress)


def import_run(*, job_id: int, on_batch: Callable[[dict], None] | None = None) -> ImportJob:
    """Read, check and (unless a dry run) write one stored job; its report is its issues and
    figures. Idempotent: a record whose external number this source already imported is an
    error of that record, never a second copy. Returns the job.

    The file is read in two passes (`reader.stream`): the first sorts its rows by record on
    disk, the second hands over `batch_size` whole records at a time, each checked and built
    once, then written: memory stays flat whatever the file's size. All or nothing writes the
    chunks in one transaction and rolls it back when any record fails (the rest of the file is
    still checked, for the report); per batch commits each chunk's records that passed."""
    job = ImportJob.objects.select_related("mapping", "created_by").get(pk=job_id)
    actor = system_actor()
    fmt = job_format(job)
    record_type = registry.get(fmt.record_type)
    job.status, job.started_at = JobStatus.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    ImportIssue.objects.filter(job=job).delete()
    from incidents.levels import level_codes  # the desk's scales: incidents own them

    scales = {"impact": level_codes("impact"), "urgency": level_codes("urgency")}
    with job.file.open("rb") as handle:
        reading = reader.stream(handle, fmt, scales=scales, time_zone=job.time_zone)
    job.encoding, job.rows_total, job.records_total = (
        reading.encoding,
        reading.rows,
        reading.records,
    )
    job.save(update_fields=["encoding", "rows_total", "records_total"])
    run = _Run(job, fmt=fmt, record_type=record_type, actor=actor, on_batch=on_batch)
    run.issues.add(reading.issues)
    file_failed = any(
        i.level == reader.ERROR and not i.number and i.line == 1 for i in reading.issues
    )
    if file_failed:
        run.writing = False
    try:
        run.over(reading.chunks(job.batch_size))
    finally:
        reading.close()
    run.issues.save(job)
    job.errors, job.warnings = run.issues.errors, run.issues.warnings
    job.rows_done, job.records_written = reading.rows, run.written
    failed = run.failed
    all_or_nothing = run.all_or_nothing
    job.status = (
        JobStatus.CHECKED
        if job.dry_run
        else (JobStatus.FAILED if (file_failed or (all_or_nothing and failed)) else JobStatus.DONE)
    )
    job.finished_at = timezone.now()
    job.refresh_pending, job.refresh_ranges = bool(run.ranges), run.ranges
    sla = run.sla
    job.summary = {"records_failed": failed, "records_ok": reading.records - failed,
                   "sla": sla.counts if sla and job.status == JobStatus.DONE else {},
                   "seconds": round((job.finished_at - job.started_at).total_seconds(), 2)}  # fmt: skip
    job.save()
    cache.delete(PROGRESS_KEY.format(job.pk))
    if job.refresh_pending:
        enqueue_on_commit(refresh_after_import_task, job.pk)
    return job


def _unique(issues: list[reader.Issue]) -> list[reader.Issue]:
    seen, kept = set(), []
    for issue in issues:
        key = (issue.line, issue.level, issue.message, issue.field)
        if key not in seen:
            seen.add(key)
            kept.append(issue)
    return kept


# --- The dashboards after an import -------------------------------------------------------
# Imported records carry old times, which the dashboards' incremental refresh (by
# `updated_at`) never reaches: their facts and the months they fall in are rebuilt by id. The
# job says the refresh is owed (written with the records), the task asked after the commit does
# it, and the beat's sweep does what no worker did (the broker was down, the worker died).

REFRESH_STALE_AFTER = timedelta(minutes=30)  # a claim older than this: its worker died
RUN_STALE_AFTER = timedelta(hours=6)  # a job "running" this long has died: refresh its records


def import_refresh(*, job_id: int, now: datetime | None = None) -> int | None:
    """Rebuild the dashboards' facts of one job's records, unless another worker is at it or
    it is done; returns how many facts (None when there was nothing to do)."""
    from dashboards.facts import refresh_records

    now = now or timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id, refresh_pending=True)
        .filter(Q(refresh_claimed_at__isnull=True) | Q(refresh_claimed_at__lt=now - REFRESH_STALE_AFTER))
        .update(refresh_claimed_at=now)
    )  # fmt: skip
    if not claimed:
        return None
    job = ImportJob.objects.only("format", "mapping", "refresh_ranges").get(pk=job_id)
    done = refresh_records(job_format(job).record_type, [(a, b) for a, b in job.refresh_ranges])
    ImportJob.objects.filter(pk=job_id, refresh_claimed_at=now).update(
        refresh_pending=False, refresh_claimed_at=None
    )
    return done


def import_refreshes_run(*, now: datetime | None = None) -> int:
    """The sweep: every job whose refresh is owed and that no worker is doing (a job still
    running waits for its end, unless it has died). Returns how many jobs were refreshed."""
    now = now or timezone.now()
    owed = (
        ImportJob.objects.filter(refresh_pending=True)
        .filter(Q(refresh_claimed_at__isnull=True) | Q(refresh_claimed_at__lt=now - REFRESH_STALE_AFTER))
        .exclude(status=JobStatus.RUNNING, started_at__gt=now - RUN_STALE_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )  # fmt: skip
    return sum(1 for pk in list(owed) if import_refresh(job_id=pk, now=now) is not None)
