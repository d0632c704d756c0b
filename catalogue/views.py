"""The agent workspace's request pages: the fulfilment task queue, a task, a request."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalogue import services
from catalogue.filters import RequestFilter, TaskFilter
from catalogue.forms import TaskAddForm
from catalogue.models import FulfilmentTask, ServiceRequest, TaskStatus
from catalogue.selectors import (
    WORK_PERMISSION,
    record_tasks,
    requests_visible_to,
    task_queue,
    task_queue_ordering,
    tasks_visible_to,
)
from catalogue.workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from servicedesk import registry
from servicedesk.exceptions import TransitionNotAllowed
from servicedesk.forms import AssignForm, CommentForm, RecordLinkForm, apply_service_errors
from servicedesk.models import BaseRecord, Visibility
from servicedesk.pages import assign_from_form, comment_extras, posted_version, run_action
from servicedesk.pages import staff_view as kernel_staff_view
from servicedesk.paging import page_of
from servicedesk.selectors import queue_annotate, record_by_number, record_links, record_timeline
from sla.selectors import timer_view, timers_of

staff_view = kernel_staff_view(work=WORK_PERMISSION)

# Lazy: each page shows them in the reader's language.
QUEUE_LABELS = [
    ("groups", gettext_lazy("My groups' tasks")),
    ("mine", gettext_lazy("My tasks")),
    ("overdue", gettext_lazy("Overdue")),
    ("open", gettext_lazy("All open tasks")),
    ("all", gettext_lazy("All tasks")),
]


@staff_view
def tasks(request):
    """A task queue, oldest first; keyset pages (`servicedesk.paging.page_of`, `?cursor=`)."""
    queue = request.GET.get("queue", "groups")
    filters = TaskFilter(request.GET, queryset=task_queue(user=request.user, queue=queue))
    page = page_of(
        filters.qs,
        ordering=task_queue_ordering(queue),
        cursor=request.GET.get("cursor", ""),
        size=settings.QUEUE_PAGE_SIZE,
    )
    queue_annotate(page.rows)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "catalogue/_tasks_table.html" if request.htmx else "catalogue/tasks.html",
        {
            "tasks": page.rows,
            "page": page,
            "queue": queue,
            "queues": QUEUE_LABELS,
            "filter": filters,
            "filter_query": query.urlencode(),
        },
    )


def _task_or_404(request, number) -> FulfilmentTask:
    task = (
        tasks_visible_to(request.user)
        .select_related("request", "support_group", "assignee", "requester", "parent_type")
        .filter(number=number)
        .first()
    )
    if task is None:
        raise Http404(_("No task with this number."))
    return task


def _task_page(request, record, *, assign_form=None, status=200):
    return render(
        request,
        "catalogue/task.html",
        {
            "task": record,
            "record": record,
            "parent": record.parent,
            "siblings": tasks_visible_to(request.user)
            .filter(parent_type_id=record.parent_type_id, parent_id=record.parent_id)
            .select_related("support_group", "assignee"),
            "timeline": record_timeline(record=record, user=request.user),
            "targets": TASK_WORKFLOW.allowed_targets(record.status),
            "statuses": TaskStatus,
            "comment_form": CommentForm(initial={"visibility": Visibility.INTERNAL}),
            "assign_form": assign_form or AssignForm.for_record(record),
        },
        status=status,
    )


@staff_view
def task(request, number):
    record = _task_or_404(request, number)
    form = CommentForm(request.POST or None)
    extras = comment_extras(request, record)
    if request.method == "POST" and form.is_valid() & extras.is_valid():
        return run_action(
            request,
            extras.saving(
                lambda: services.task_comment(
                    task_id=record.pk, actor=request.user, body=form.cleaned_data["body"]
                )
            ),
            success=_("Work note added."),
            done=lambda: redirect("catalogue:task", number=number),
        )
    return _task_page(request, record)


@staff_view
@require_POST
def task_action(request, number):
    """The task page's buttons: "Assign to me" and the workflow's next statuses, each on the
    version the page showed (a stale one: the message, nothing changed)."""
    record = _task_or_404(request, number)
    action = request.POST.get("action", "")
    version = posted_version(request)

    def work():
        if action == "take":
            return services.task_take(task_id=record.pk, actor=request.user, version=version)
        return services.task_transition(
            task_id=record.pk, actor=request.user, target=action,
            note=request.POST.get("note", ""), version=version,
        )  # fmt: skip

    if action == "take":
        success = _("%(number)s is now yours.") % {"number": number}
    else:
        label = TASK_WORKFLOW.labels.get(action, action)
        success = _("%(number)s: %(status)s.") % {"number": number, "status": label}
    return run_action(
        request, work, success=success, done=lambda: redirect("catalogue:task", number=number)
    )


@staff_view
@require_POST
def task_assign(request, number):
    """The task page's assignment box: a group and optionally a person in it."""
    record = _task_or_404(request, number)
    form = AssignForm(request.POST)
    return assign_from_form(
        request,
        record,
        form,
        assign=lambda **choice: services.task_assign(
            task_id=record.pk, actor=request.user, **choice
        ),
        done=lambda: redirect("catalogue:task", number=number),
        again=lambda status: _task_page(request, record, assign_form=form, status=status),
    )


def tasks_panel(request, *, record, **page):
    """The "Tasks" card of every record page but a task's (which lists its siblings) and a
    request's (whose page lists its fulfilment tasks with the same add-task link), for staff who
    work tasks. The page renders a placeholder that loads the card after it (htmx,
    `tasks_card`), so the record page spends no query on it."""
    if isinstance(record, FulfilmentTask | ServiceRequest):
        return None
    if registry.for_model(type(record)) is None or not request.user.has_perm(WORK_PERMISSION):
        return None
    return {"tasks_deferred": True}


def _parent_or_404(request, number) -> BaseRecord:
    try:
        parent = record_by_number(user=request.user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None
    if isinstance(parent, FulfilmentTask):
        raise Http404(_("No record with this number."))
    return parent


@staff_view
def tasks_card(request, number):
    """The record page's Tasks card (loaded by its placeholder): the record's tasks with their
    holder and due time, and "Add a task" while the record is open. One query for the tasks."""
    record = _parent_or_404(request, number)
    return render(
        request,
        "catalogue/_record_tasks.html",
        {
            "record": record,
            "record_tasks": record_tasks(user=request.user, record=record),
            "can_add_task": not type(record).WORKFLOW.is_final(record.status),
        },
    )


@staff_view
def task_add(request, number):
    """Add a task to any record the person may see and work (`services.task_add`)."""
    parent = _parent_or_404(request, number)
    form = TaskAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                task = services.task_add(parent=parent, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            except (PermissionDenied, TransitionNotAllowed) as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("%(task)s added to %(number)s.")
                    % {"task": task.number, "number": parent.number},
                )
                return redirect(parent.get_absolute_url())
        status = 400
    return render(
        request, "catalogue/task_add.html", {"parent": parent, "form": form}, status=status
    )


@staff_view
def requests(request):
    filters = RequestFilter(request.GET, queryset=requests_visible_to(request.user))
    rows = filters.qs.select_related("requester", "support_group", "item").order_by(
        "-created_at", "-id"
    )[:100]
    template = "catalogue/_requests_table.html" if request.htmx else "catalogue/requests.html"
    return render(request, template, {"requests": rows, "filter": filters})


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
    form = CommentForm(request.POST or None, request.FILES or None)
    extras = comment_extras(request, record)
    if request.method == "POST" and form.is_valid() & extras.is_valid():
        data = form.cleaned_data
        return run_action(
            request,
            extras.saving(
                lambda: services.request_comment(
                    request_id=record.pk,
                    actor=request.user,
                    body=data["body"],
                    visibility=data["visibility"],
                    files=[data["file"]] if data.get("file") else [],
                )
            ),  # fmt: skip
            success=_("Comment added."),
            done=lambda: redirect("catalogue:request", number=number),
        )
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
            "comment_form": form,
            "record": record,
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
    return run_action(
        request,
        lambda: services.request_close(
            request_id=record.pk,
            actor=request.user,
            note=request.POST.get("note", ""),
            version=posted_version(request),
        ),  # fmt: skip
        success=_("%(number)s is closed.") % {"number": number},
        done=lambda: redirect("catalogue:request", number=number),
    )
