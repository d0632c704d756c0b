"""The agent workspace's request pages: the fulfilment task queue, a task, a request."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import USE_WORKSPACE
from catalogue import services
from catalogue.filters import RequestFilter, TaskFilter
from catalogue.models import FulfilmentTask, TaskStatus
from catalogue.selectors import (
    WORK_PERMISSION,
    requests_visible_to,
    task_queue,
    tasks_visible_to,
)
from catalogue.workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from servicedesk.exceptions import ApplicationError
from servicedesk.forms import CommentForm, RecordLinkForm
from servicedesk.paging import page_of
from servicedesk.selectors import record_links, record_timeline
from sla.selectors import timer_view, timers_of


def staff_view(view):
    view = permission_required(WORK_PERMISSION, raise_exception=True)(view)
    view = permission_required(USE_WORKSPACE, raise_exception=True)(view)
    return login_required(view)


def _queue_labels():
    return [
        ("groups", _("My groups' tasks")),
        ("mine", _("My tasks")),
        ("open", _("All open tasks")),
        ("all", _("All tasks")),
    ]


def _errors(request, error) -> None:
    messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))


@staff_view
def tasks(request):
    """A task queue, oldest first; keyset pages (`servicedesk.paging.page_of`, `?cursor=`)."""
    queue = request.GET.get("queue", "groups")
    filters = TaskFilter(request.GET, queryset=task_queue(user=request.user, queue=queue))
    page = page_of(
        filters.qs,
        ordering=("created_at", "id"),
        cursor=request.GET.get("cursor", ""),
        size=settings.QUEUE_PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "catalogue/tasks.html",
        {
            "tasks": page.rows,
            "page": page,
            "queue": queue,
            "queues": _queue_labels(),
            "filter": filters,
            "filter_query": query.urlencode(),
        },
    )


def _task_or_404(request, number) -> FulfilmentTask:
    task = (
        tasks_visible_to(request.user)
        .select_related("request", "support_group", "assignee", "requester")
        .filter(number=number)
        .first()
    )
    if task is None:
        raise Http404(_("No task with this number."))
    return task


@staff_view
def task(request, number):
    record = _task_or_404(request, number)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_comment(
                task_id=record.pk, actor=request.user, body=form.cleaned_data["body"]
            )
        except (ValidationError, ApplicationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Work note added."))
            return redirect("catalogue:task", number=number)
    return render(
        request,
        "catalogue/task.html",
        {
            "task": record,
            "siblings": tasks_visible_to(request.user)
            .filter(request_id=record.request_id)
            .select_related("support_group", "assignee"),
            "timeline": record_timeline(record=record, user=request.user),
            "targets": TASK_WORKFLOW.allowed_targets(record.status),
            "statuses": TaskStatus,
        },
    )


@staff_view
@require_POST
def task_action(request, number):
    record = _task_or_404(request, number)
    action = request.POST.get("action", "")
    try:
        if action == "take":
            version = request.POST.get("version", "")
            services.task_take(
                task_id=record.pk,
                actor=request.user,
                version=int(version) if version.isdigit() else None,
            )
            messages.success(request, _("%(number)s is now yours.") % {"number": number})
        else:
            services.task_transition(
                task_id=record.pk, actor=request.user, target=action,
                note=request.POST.get("note", ""),
            )  # fmt: skip
            record.refresh_from_db()
            messages.success(
                request,
                _("%(number)s: %(status)s.")
                % {"number": number, "status": record.get_status_display()},
            )
    except (ValidationError, ApplicationError, PermissionDenied) as error:
        _errors(request, error)
    return redirect("catalogue:task", number=number)


@staff_view
def requests(request):
    filters = RequestFilter(request.GET, queryset=requests_visible_to(request.user))
    rows = filters.qs.select_related("requester", "support_group", "item").order_by(
        "-created_at", "-id"
    )[:100]
    return render(request, "catalogue/requests.html", {"requests": rows, "filter": filters})


@staff_view
def request_detail(request, number):
    record = (
        requests_visible_to(request.user)
        .select_related("requester", "support_group", "item", "service", "offering")
        .filter(number=number)
        .first()
    )
    if record is None:
        raise Http404(_("No request with this number."))
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_comment(
                request_id=record.pk, actor=request.user, body=form.cleaned_data["body"],
                visibility=form.cleaned_data["visibility"],
            )  # fmt: skip
        except (ValidationError, ApplicationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Comment added."))
            return redirect("catalogue:request", number=number)
    return render(
        request,
        "catalogue/request.html",
        {
            "req": record,
            "approvals": record.approvals.select_related("approver"),
            "tasks": tasks_visible_to(request.user)
            .filter(request=record)
            .select_related("support_group", "assignee"),
            "timeline": record_timeline(record=record, user=request.user),
            "timers": [timer_view(t) for t in timers_of(record)],
            "form": form,
            "can_close": "closed" in REQUEST_WORKFLOW.allowed_targets(record.status),
            "links": record_links(record=record, user=request.user),
            "link_form": RecordLinkForm(auto_id="link-%s"),
        },
    )


@staff_view
@require_POST
def request_close(request, number):
    record = requests_visible_to(request.user).filter(number=number).first()
    if record is None:
        raise Http404(_("No request with this number."))
    try:
        services.request_close(
            request_id=record.pk, actor=request.user, note=request.POST.get("note", "")
        )
    except (ValidationError, ApplicationError, PermissionDenied) as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(number)s is closed.") % {"number": number})
    return redirect("catalogue:request", number=number)
