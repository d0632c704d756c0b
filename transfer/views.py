"""The administrators' import pages: upload and check (a dry run), the report with a preview
of the file, progress while it runs, and the run itself. Thin: `transfer.services` does it."""

import csv
import io
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
from transfer import exports, services
from transfer.encoding import decode
from transfer.forms import ImportForm
from transfer.models import ImportJob
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
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.pop("file")
        try:
            return _start(request, data=upload.read(), file_name=upload.name, dry_run=True, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "transfer/start.html", {"form": form, "jobs": jobs})


def _preview(job: ImportJob) -> dict:
    """The file's first rows and which of our fields each column gives."""
    fmt = services.job_format(job)
    if fmt.kind != "csv":
        return {}
    with job.file.open("rb") as handle:
        text, _encoding = decode(handle.read(64 * 1024))
    rows = list(csv.reader(io.StringIO(text)))[: PREVIEW_ROWS + 1]
    if not rows:
        return {}
    ours = {column: name for name, column in fmt.columns.items()}
    header = [(column, ours.get(column, "")) for column in rows[0]]
    return {"header": header, "rows": rows[1:]}


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_job(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("mapping"), pk=pk)
    progress = services.job_progress(job)
    if request.GET.get("format") == "json":
        return JsonResponse(progress)
    template = "transfer/_progress.html" if request.htmx else "transfer/job.html"
    issues = job.issues.all()[:500]
    return render(request, template, {"job": job, "progress": progress, "issues": issues,
                                      "preview": _preview(job)})  # fmt: skip


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
