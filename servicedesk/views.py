from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import home_url_name
from accounts.selectors import support_groups_of
from servicedesk import registry, services
from servicedesk.attachments import attachment_response
from servicedesk.forms import RecordLinkForm
from servicedesk.health import run_checks, run_reports
from servicedesk.middleware import api_error, is_api
from servicedesk.models import Attachment
from servicedesk.pages import REFUSALS, flash_refusal, record_or_404, run_action, staff_view
from servicedesk.selectors import attachment_get, link_label, links_of, record_by_number
from servicedesk.tasks import HEARTBEAT_KEY


def home(request):
    """Send each person to the home page of their role."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect(home_url_name(request.user))


@staff_view
def workspace(request):
    """The agent workspace's start page: the person's teams and who is in them."""
    return render(
        request,
        "servicedesk/workspace.html",
        {
            "groups": support_groups_of(request.user),
            "queues": _queue_sizes("incident", request.user),
            "task_queues": _queue_sizes("task", request.user, needs_permission=True),
        },
    )


def _queue_sizes(key: str, user, *, needs_permission: bool = False) -> list[dict]:
    """The workspace's queue sizes of one registered record type (none when it is not installed,
    or when `needs_permission` and the person may not work it)."""
    try:
        record_type = registry.get(key)
    except KeyError:
        return []
    if needs_permission and not user.has_perm(record_type.work_permission):
        return []
    return record_type.call("queue_sizes")(user=user)


@never_cache
def health(request):
    """200 when the database, the cache and the broker all answer; 503 naming those that do not."""
    checks = run_checks()
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    heartbeat = None
    if checks["cache"]["ok"]:
        heartbeat = cache.get(HEARTBEAT_KEY)
    reports = run_reports() if checks["database"]["ok"] else {}
    degraded = sorted(name for name, report in reports.items() if not report.get("ok"))
    body = {
        "status": "failing" if failing else ("degraded" if degraded else "ok"),
        "failing": failing,
        "checks": checks,
        "beat_last_seen": heartbeat,
        "degraded": degraded,
        **reports,
    }
    return JsonResponse(body, status=503 if failing else 200)


@require_safe
@login_required
def attachment_download(request, pk):
    """A file of any record, to those its record's timeline shows it to; 404 for anyone else."""
    try:
        attachment = attachment_get(user=request.user, pk=pk)
    except Attachment.DoesNotExist:
        raise Http404(_("No such file.")) from None
    return attachment_response(attachment)


# --- Error pages: JSON under /api/ (no template, no static file involved), the site's elsewhere ---


def bad_request(request, exception):
    return api_error(400) if is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return api_error(403) if is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return api_error(404) if is_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    return api_error(500) if is_api(request) else defaults.server_error(request)


def _back_to_record(record):
    url = getattr(record, "get_absolute_url", None)
    return redirect(url() if url else "workspace")


@staff_view
@require_POST
def record_link_add(request, number):
    """The "Linked records" card's form on any record page: link it to a record by number."""
    record = record_or_404(request, number)
    form = RecordLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the records are related and give a number."))
        return _back_to_record(record)
    other_number = form.cleaned_data["number"]
    try:
        other = record_by_number(user=request.user, number=other_number)
    except ObjectDoesNotExist:
        messages.error(
            request, _("No record with the number %(number)s.") % {"number": other_number}
        )
        return _back_to_record(record)
    kind = form.cleaned_data["kind"]
    try:
        services.record_link_add(source=record, target=other, kind=kind, actor=request.user)
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        messages.success(
            request,
            _("%(source)s is now %(label)s %(target)s.")
            % {"source": record.number, "label": link_label(kind, reverse=False), "target": other.number},
        )  # fmt: skip
    return _back_to_record(record)


@staff_view
@require_POST
def record_link_remove(request, number, pk):
    """A "Remove" button of the "Linked records" card: the link must be one of this record's."""
    record = record_or_404(request, number)
    if not links_of(record).filter(pk=pk).exists():
        raise Http404(_("This link does not exist."))
    return run_action(
        request,
        lambda: services.record_link_remove(link_id=pk, actor=request.user),
        success=_("Link removed."),
        done=lambda: _back_to_record(record),
    )
