"""The administrators' import pages: upload and check (a dry run), the report with a preview
of the file, progress while it runs, and the run itself. Thin: `transfer.services` does it."""

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk import registry
from servicedesk.csvfiles import csv_lines
from servicedesk.forms import apply_service_errors
from servicedesk.jobs import enqueue_on_commit
from servicedesk.pages import staff_view
from transfer import exports, mappings, services
from transfer.forms import ColumnFormSet, ImportForm, MappingForm, ValueFormSet
from transfer.models import ImportJob, JobStatus
from transfer.tasks import run_import_task

PERMISSION = services.IMPORT_PERMISSION
PREVIEW_ROWS = 5


def _start(request, **options):
    job = services.import_job_create(actor=request.user, **options)
    enqueue_on_commit(run_import_task, job.pk)
    return redirect("transfer:job", pk=job.pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_start(request):
    """Upload a file: checked at once (a dry run), or first mapped ("Map the columns", or
    when its columns do not give the fields the format needs)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.pop("file")
        try:
            job = services.import_job_create(
                # The upload's own file (a temporary file past Django's 2.5 MB), copied block
                # by block: a large export is never in memory whole.
                actor=request.user, data=upload.file, file_name=upload.name, dry_run=True,
                **data,
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if mappings.editable(job) and ("map" in request.POST or mappings.missing_fields(job)):
                return redirect("transfer:mapping", pk=job.pk)
            enqueue_on_commit(run_import_task, job.pk)
            return redirect("transfer:job", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "transfer/start.html", {"form": form, "jobs": jobs})


def _preview(job: ImportJob) -> dict:
    """The file's first rows and which of our fields each column gives."""
    if services.job_format(job).kind not in mappings.EDITABLE_KINDS:
        return {}
    sample = mappings.job_sample(job, size=64 * 1024)
    if not sample.columns:
        return {}
    ours = {column: name for name, column in services.job_format(job).columns.items()}
    labels = mappings.FIELD_LABELS
    header = [(column, labels.get(ours.get(column, ""), "")) for column in sample.columns]
    rows = [[row.get(column, "") for column in sample.columns] for row in sample.rows]
    return {"header": header, "rows": rows[:PREVIEW_ROWS]}


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_job(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("mapping"), pk=pk)
    progress = services.job_progress(job)
    if request.GET.get("format") == "json":
        return JsonResponse(progress)
    if request.htmx:  # the progress card, polled while it runs
        return render(request, "transfer/_progress.html", {"job": job, "progress": progress})
    issues = job.issues.all()[:500]
    # A file left in the editor without a mapping saved is not checked yet: the way back.
    unmapped = job.dry_run and job.status == JobStatus.WAITING and job.started_at is None
    return render(request, "transfer/job.html", {
        "job": job, "progress": progress, "issues": issues, "preview": _preview(job),
        "may_map": unmapped and mappings.editable(job),
    })  # fmt: skip


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_mapping(request, pk):
    """The mapping editor: which of our fields each column of the file feeds (with its first
    values), ours for each status and level the file uses, a name to save it under; then the
    file is checked with it. "Show their values" redraws the values of the columns chosen."""
    job = get_object_or_404(ImportJob.objects.select_related("mapping"), pk=pk)
    if not job.dry_run or job.status != JobStatus.WAITING or not mappings.editable(job):
        raise Http404
    sample = mappings.job_sample(job)
    posted = request.POST if request.method == "POST" else None
    field_choices = [(name, label) for name, label in mappings.FIELD_LABELS.items()]
    initial = mappings.initial_columns(job, sample)
    columns = ColumnFormSet(
        posted, prefix="columns", form_kwargs={"field_choices": field_choices},
        initial=[{"column": column, "feeds": initial[column]} for column in sample.columns],
    )  # fmt: skip
    chosen = initial
    if columns.is_bound and columns.is_valid():
        chosen = {f.cleaned_data["column"]: f.cleaned_data["feeds"] for f in columns.forms}
    given = {name: _posted_values(posted, name) for name in mappings.VALUE_FIELDS}
    parts = mappings.value_parts(job, sample, chosen, given)
    for part in parts:  # redrawn from the file each time: no value of it is left out unseen
        part["formset"] = ValueFormSet(prefix=f"values-{part['name']}", initial=part["rows"],
                                       form_kwargs={"our_choices": part["choices"]})  # fmt: skip
    fmt = mappings.job_mapping_format(job)
    form = MappingForm(
        posted, initial={"name": job.mapping.name if job.mapping else "",
                         "source": job.mapping.source if job.mapping else fmt.source},
    )  # fmt: skip
    column_errors: list[str] = []
    if posted is not None and "save" in posted and columns.is_valid() and form.is_valid():
        try:
            mappings.mapping_save(
                actor=request.user, job=job, name=form.cleaned_data["name"],
                source=form.cleaned_data["source"], columns=chosen,
                values={part["name"]: {r["value"]: r["ours"] for r in part["rows"]}
                        for part in parts},
            )  # fmt: skip
        except ValidationError as error:
            for key, found_errors in error.message_dict.items():
                part = next((p for p in parts if p["name"] == key), None)
                if part is not None:
                    part["errors"] = found_errors
                elif key == "columns":
                    column_errors = found_errors
                else:
                    form.add_error(key if key in form.fields else None, found_errors)
        else:
            enqueue_on_commit(run_import_task, job.pk)
            messages.success(request, _("Mapping saved; the file is being checked with it."))
            return redirect("transfer:job", pk=job.pk)
    rows = [(f, sample.first_values(f.initial["column"] if not columns.is_bound
                                    else f["column"].value())) for f in columns.forms]  # fmt: skip
    return render(request, "transfer/mapping.html", {
        "job": job, "columns": columns, "column_rows": rows, "column_errors": column_errors,
        "parts": parts, "form": form, "required": [mappings.FIELD_LABELS[f]
                                                   for f in mappings.required_fields(job)],
    })  # fmt: skip


def _posted_values(posted, name: str) -> dict[str, str]:
    """{file value: ours} as the form sent them for one value field (none on the first visit;
    the service checks each choice)."""
    if posted is None:
        return {}
    prefix = f"values-{name}"
    try:
        count = min(int(posted.get(f"{prefix}-TOTAL_FORMS", 0)), mappings.MAX_DISTINCT)
    except ValueError:
        return {}
    return {posted.get(f"{prefix}-{n}-value", ""): posted.get(f"{prefix}-{n}-ours", "")
            for n in range(count)}  # fmt: skip


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_commit(request, pk):
    """Run a checked file for real, with the options it was checked with."""
    job = get_object_or_404(ImportJob, pk=pk)
    if not job.dry_run:
        raise Http404
    with job.file.open("rb") as handle:
        data = handle.read()
    try:
        return _start(
            request, data=data, file_name=job.file_name, format=job.format, mapping=job.mapping,
            mode=job.mode, batch_size=job.batch_size, create_missing=job.create_missing,
            sla_mode=job.sla_mode, time_zone=job.time_zone, dry_run=False,
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [_("Refused.")])))
        return redirect("transfer:job", pk=job.pk)


@staff_view
def records_export(request, key):
    """The records of a type the reader may see, under the queue's filters, as CSV or XLSX."""
    try:
        record_type = registry.get(key)
    except KeyError:
        raise Http404 from None
    if not record_type.export_columns:
        raise Http404
    params = request.GET.copy()
    kind = params.pop("as", ["csv"])[-1]
    params.pop("cursor", None)
    header, rows = exports.export_rows(record_type=record_type, user=request.user, params=params)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if kind == "xlsx":
        return FileResponse(
            exports.xlsx_file(header, rows), as_attachment=True,
            filename=f"{record_type.key}-{stamp}.xlsx",
        )  # fmt: skip
    response = StreamingHttpResponse(
        csv_lines(itertools.chain([header], rows)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{record_type.key}-{stamp}.csv"'
    return response


@staff_view
def record_export(request, number):
    """One record with its timeline as JSON (a record the reader may not see is a 404)."""
    record_type = registry.for_number(number)
    if record_type is None or not record_type.export_columns:
        raise Http404
    record = get_object_or_404(record_type.visible(request.user), number=number)
    document = exports.record_document(record=record, record_type=record_type, user=request.user)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{number}.json"'
    return response
