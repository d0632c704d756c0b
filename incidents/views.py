"""The agent workspace's incident pages. Thin: forms check shapes, services do the work."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import SupportGroup, User
from accounts.selectors import assignable_people
from customfields import forms as custom_fields_forms
from customfields import selectors as custom_fields_selectors
from customfields import services as custom_fields
from incidents import selectors, services
from incidents.choices import Channel, IncidentStatus
from incidents.filters import SORTABLE, IncidentFilter
from incidents.forms import (
    AssignForm,
    BulkForm,
    CommentForm,
    IncidentCreateForm,
    IncidentEditForm,
    MergeForm,
    SavedFilterForm,
    TransitionForm,
    apply_service_errors,
)
from incidents.models import Category, Incident, SavedFilter
from incidents.priority import priority_levels
from incidents.records import INCIDENT
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk.exceptions import ApplicationError
from servicedesk.forms import RecordLinkForm
from servicedesk.numbering import NUMBER_DIGITS
from servicedesk.pages import (
    assign_from_form,
    comment_extras,
    posted_version,
    run_action,
    show_on_form,
    staff_view,
)
from servicedesk.paging import page_of
from servicedesk.planner import serial_plan
from servicedesk.replicas import reads_from_replica
from servicedesk.selectors import cause_candidates, queue_annotate, record_links, record_timeline
from sla.selectors import page_timers_of, timer_view

DEFAULT_SORT = {"all": "-created"}

# Lazy: each page shows them in the reader's language.
QUEUE_LABELS = [
    ("mine", gettext_lazy("My work")),
    ("unassigned", gettext_lazy("My groups' unassigned")),
    ("open", gettext_lazy("All open")),
    ("breaching", gettext_lazy("Breaching soon")),
    ("breached", gettext_lazy("Breached")),
    ("major", gettext_lazy("Major incidents")),
    ("all", gettext_lazy("All incidents")),
]


def _ordering(sort: str) -> list[str]:
    """The ORDER BY for a sort key; ties broken so pages are stable."""
    field = SORTABLE.get(sort.lstrip("-"))
    if field is None:
        return ["priority", "created_at", "id"]
    descending = sort.startswith("-")
    if field == "priority":
        return ["-priority" if descending else "priority", "created_at", "id"]
    prefix = "-" if descending else ""
    return [prefix + field, prefix + "id"]


@staff_view
@reads_from_replica
def queue(request):
    """A queue (mine, unassigned, open, major, all) with filters, sort and bulk actions.

    Keyset pages (`servicedesk.paging.page_of`, `?cursor=`): one query of a page and one row
    more, no OFFSET and no COUNT of the table.
    """
    queue_name = request.GET.get("queue", "open")
    if queue_name not in selectors.QUEUES:
        queue_name = "open"
    sort = request.GET.get("sort") or DEFAULT_SORT.get(queue_name, "priority")
    base = selectors.incident_queue(user=request.user, queue=queue_name)
    filterset = IncidentFilter(_chosen_filters(request.GET) or None, queryset=base)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    listed = selectors.as_list_rows(rows)
    with serial_plan(listed.db):  # a short keyset walk (servicedesk/planner.py)
        page = page_of(
            listed,
            ordering=_ordering(sort),
            cursor=request.GET.get("cursor", ""),
            size=settings.QUEUE_PAGE_SIZE,
        )
    custom_columns = custom_fields_selectors.queue_columns(
        INCIDENT.key, request.GET.getlist("columns")
    )
    custom_fields_selectors.queue_cells(page.rows, custom_columns)
    queue_annotate(page.rows)
    params = request.GET.copy()
    params.pop("cursor", None)
    context = {
        "custom_columns": custom_columns,
        "custom_definitions": custom_fields_selectors.definitions(INCIDENT.key),
        "queue": queue_name,
        "queues": QUEUE_LABELS,
        "filter": filterset,
        "incidents": page.rows,
        "rows": selectors.queue_rows(page.rows, detail_base=reverse("incidents:queue")),
        "sort": sort,
        "page": page,
        "query": params.urlencode(),
        "levels": priority_levels(),
        "saved_filters": SavedFilter.objects.filter(owner=request.user),
        "bulk_form": BulkForm(auto_id="bulk-%s"),
        "save_form": SavedFilterForm(initial={"query": params.urlencode()}),
        "sort_columns": _sort_columns(params, sort),
        "choices": _filter_choices(group=request.GET.get("support_group", "")),
        "chosen": {key: request.GET.get(key, "") for key in FILTER_SELECTS},
    }
    template = "incidents/_queue_table.html" if request.htmx else "incidents/queue.html"
    return render(request, template, context)


FILTER_SELECTS = ("support_group", "assignee", "category", "channel")


def _chosen_filters(params: QueryDict) -> QueryDict:
    """The query without the empty values that the filter bar's "Any" options send: "Any" means
    no filter, and an empty status or priority is not a choice, which made the whole filter bar
    invalid and the queue fall back to unfiltered."""
    chosen = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [value for value in values if value != ""]
        if kept:
            chosen.setlist(key, kept)
    return chosen


def _filter_choices(*, group: str = "") -> dict:
    """(value, label) pairs of the queue's select boxes, values as strings to compare with GET.
    With a group chosen the assignees are its people (the menu follows the group)."""
    groups = SupportGroup.objects.filter(is_active=True).order_by("name")
    group_id = int(group) if group.isdigit() and len(group) <= 18 else None
    assignees = assignable_people(support_group_id=group_id)
    categories = Category.objects.filter(parent__isnull=True, is_active=True).order_by("name")
    return {
        "groups": [(str(pk), name) for pk, name in groups.values_list("pk", "name")],
        "assignees": [(str(pk), name) for pk, name in assignees.values_list("pk", "full_name")],
        "categories": [(str(pk), name) for pk, name in categories.values_list("pk", "name")],
        "channels": Channel.choices,
    }


def _sort_columns(params, current: str) -> dict[str, str]:
    """For each sortable column, the query string that sorts by it (toggling the direction)."""
    links = {}
    for key in SORTABLE:
        wanted = f"-{key}" if current == key else key
        query = params.copy()
        query["sort"] = wanted
        links[key] = query.urlencode()
    return links


@staff_view
@require_POST
def bulk(request):
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("incidents:queue")  # never send the agent to another site
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(back)
    data = form.cleaned_data
    ids = [incident.pk for incident in data["incidents"]]
    if data["action"] == "take":
        result = services.incidents_bulk_take(incident_ids=ids, actor=request.user)
    elif data["action"] == "assign":
        result = services.incidents_bulk_assign(
            incident_ids=ids,
            actor=request.user,
            support_group=data["support_group"],
            assignee=data["assignee"],
        )
    else:
        result = services.incidents_bulk_transition(
            incident_ids=ids, actor=request.user, target=data["target"]
        )
    if result.done:
        messages.success(
            request,
            _("Done for %(count)d incident(s): %(numbers)s")
            % {"count": len(result.done), "numbers": ", ".join(result.done)},
        )
    for number, reason in result.failed:
        messages.error(request, f"{number}: {reason}")
    return redirect(back)


@staff_view
@require_POST
def save_filter(request):
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        saved, created = SavedFilter.objects.update_or_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            defaults={"query": form.cleaned_data["query"]},
        )
        messages.success(
            request,
            (_("Filter “%(name)s” saved.") if created else _("Filter “%(name)s” updated."))
            % {"name": saved.name},
        )
        return redirect(reverse("incidents:queue") + "?" + saved.query)
    messages.error(request, _("Give the filter a name."))
    return redirect(reverse("incidents:queue") + "?" + request.POST.get("query", ""))


@staff_view
@require_POST
def delete_filter(request, pk):
    saved = get_object_or_404(SavedFilter, pk=pk, owner=request.user)
    saved.delete()
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect("incidents:queue")


@staff_view
def create(request):
    """Log an incident. `?channel=phone` is the fast "log a call" form, which can resolve at
    first contact."""
    phone = request.GET.get("channel") == "phone" or request.POST.get("channel") == "phone"
    form = IncidentCreateForm(request.POST or None, request.FILES or None)
    custom_form = custom_fields_forms.for_new_record(
        INCIDENT.key, request.POST or None, category=request.POST.get("category", "")
    )
    if request.method == "POST" and form.is_valid() & custom_form.is_valid():
        data = dict(form.cleaned_data)
        resolve = {
            "resolve_now": data.pop("resolve_now"),
            "resolution_code": data.pop("resolution_code"),
            "resolution_notes": data.pop("resolution_notes"),
        }

        def create_incident():
            if phone:
                data.pop("channel")
                return services.incident_log_call(actor=request.user, **resolve, **data)
            data["channel"] = data["channel"] or Channel.EMAIL
            return services.incident_create(actor=request.user, **data)

        try:
            incident = custom_fields.create_from_form(
                form=custom_form, actor=request.user, create=create_incident
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if incident.status == IncidentStatus.RESOLVED:
                message = _("%(number)s logged and resolved at first contact.")
            else:
                message = _("%(number)s logged for %(group)s with priority P%(priority)d.")
            messages.success(
                request,
                message
                % {
                    "number": incident.number,
                    "group": incident.support_group,
                    "priority": incident.priority,
                },
            )
            return redirect("incidents:detail", number=incident.number)
    people = User.objects.filter(is_active=True).order_by("email").values_list("email", flat=True)
    return render(
        request,
        "incidents/create.html",
        {"form": form, "phone": phone, "people": people[:500], "custom_form": custom_form},
    )


def _incident_or_404(request, number) -> Incident:
    try:
        return selectors.incident_for_page(user=request.user, number=number)
    except Incident.DoesNotExist:
        raise Http404(_("No incident with this number.")) from None


def _page_targets(incident) -> list[str]:
    """The status buttons of the record page. A resolved incident reopens either to work (when
    someone holds it) or to its group's queue: one "Reopen" button, the way its guards allow."""
    targets = INCIDENT_WORKFLOW.allowed_targets(incident.status)
    if incident.status == IncidentStatus.RESOLVED:
        not_this_way = IncidentStatus.NEW if incident.assignee_id else IncidentStatus.IN_PROGRESS
        targets = [t for t in targets if t != not_this_way]
    return targets


def _detail_context(request, incident, **forms):
    levels = priority_levels()
    targets = _page_targets(incident)
    children = list(
        incident.children.only("id", "number", "title", "status", "parent").order_by("id")
    )
    return {
        "incident": incident,
        "level": levels.get(incident.priority, {}),
        "timeline": record_timeline(record=incident, user=request.user),
        "targets": [(t, IncidentStatus(t).label) for t in targets],
        "children": children,
        "edit_form": forms.get("edit_form"),
        "assign_form": forms.get("assign_form") or AssignForm.for_record(incident),
        "transition_form": forms.get("transition_form")
        or TransitionForm(initial={"version": incident.version}),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "open_dialog": forms.get("open_dialog", ""),
        "timers": [timer_view(timer) for timer in page_timers_of(incident)],
        "record": incident,
        "links": record_links(record=incident, user=request.user),
        "cause_candidates": cause_candidates(record=incident, user=request.user),
        "link_form": RecordLinkForm(auto_id="link-%s"),
        "merge_form": forms.get("merge_form") or MergeForm(initial={"version": incident.version}),
    }


@staff_view
def detail(request, number):
    incident = _incident_or_404(request, number)
    return render(request, "incidents/detail.html", _detail_context(request, incident))


@staff_view
def edit(request, number):
    """Inline edit of the facts (htmx swaps the panel; works as a plain page too)."""
    incident = _incident_or_404(request, number)
    form = IncidentEditForm.for_incident(incident, data=request.POST or None)
    custom_form = custom_fields_forms.for_record(incident, request.POST or None)
    if request.method == "POST" and form.is_valid() & custom_form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        changes = {k: v for k, v in data.items() if form.has_changed() and k in form.changed_data}
        try:
            custom_changed = custom_fields.update_from_form(
                record=incident,
                form=custom_form,
                actor=request.user,
                update=lambda: services.incident_update(
                    incident_id=incident.pk, actor=request.user, changes=changes, version=version
                ),
            )
        except (ValidationError, ApplicationError) as error:
            show_on_form(form, error)
        else:
            if changes or custom_changed:
                messages.success(request, _("%(number)s updated.") % {"number": incident.number})
            else:
                messages.info(request, _("Nothing was changed."))
            return _back_to_detail(request, incident)
    template = "incidents/_facts_form.html" if request.htmx else "incidents/edit.html"
    return render(
        request, template, {"incident": incident, "form": form, "custom_form": custom_form}
    )


def _back_to_detail(request, incident):
    url = reverse("incidents:detail", args=[incident.number])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _detail_again(request, incident, form_key: str, form, status: int = 400):
    """The incident page again, its `form_key` form (and its dialog) showing the refusal."""
    context = _detail_context(request, incident, **{form_key: form, "open_dialog": form_key})
    return render(request, "incidents/detail.html", context, status=status)


def _run(request, incident, action, *, success, form_key=None, form=None, done=None):
    """Run a service call; a refusal shows its message (on the form, keeping the input, when
    one is given); done, back to the incident (or `done`)."""

    def page():
        return redirect("incidents:detail", number=incident.number)

    def again(status):
        return _detail_again(request, incident, form_key, form, status)

    return run_action(
        request, action, success=success, done=done or page, back=page, form=form,
        again=again if form is not None else None,
    )  # fmt: skip


@staff_view
@require_POST
def take(request, number):
    incident = _incident_or_404(request, number)
    return _run(
        request,
        incident,
        lambda: services.incident_take(
            incident_id=incident.pk, actor=request.user, version=posted_version(request)
        ),
        success=_("%(number)s is now yours.") % {"number": incident.number},
    )


@staff_view
@require_POST
def assign(request, number):
    incident = _incident_or_404(request, number)
    form = AssignForm(request.POST)
    return assign_from_form(
        request,
        incident,
        form,
        assign=lambda **choice: services.incident_assign(
            incident_id=incident.pk, actor=request.user, **choice
        ),
        done=lambda: redirect("incidents:detail", number=incident.number),
        again=lambda status: _detail_again(request, incident, "assign_form", form, status),
    )


@staff_view
@require_POST
def transition(request, number):
    incident = _incident_or_404(request, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("incidents:detail", number=number)
    data = form.cleaned_data
    target = data["target"]
    return _run(
        request,
        incident,
        lambda: services.incident_transition(
            incident_id=incident.pk,
            actor=request.user,
            target=target,
            version=data["version"],
            note=data["note"],
            pending_reason=data["pending_reason"],
            resolution_code=data["resolution_code"],
            resolution_notes=data["resolution_notes"],
        ),
        success=_("%(number)s is now %(status)s.")
        % {"number": incident.number, "status": IncidentStatus(target).label.lower()},
        form_key="transition_form",
        form=form,
    )


@staff_view
@require_POST
def comment(request, number):
    incident = _incident_or_404(request, number)
    form = CommentForm(request.POST, request.FILES)
    extras = comment_extras(request, incident)
    if not (form.is_valid() & extras.is_valid()):
        return _detail_again(request, incident, "comment_form", form)
    data = form.cleaned_data
    files = [data["file"]] if data.get("file") else []
    public = data["visibility"] == "public"
    return _run(
        request,
        incident,
        extras.saving(
            lambda: services.incident_comment(
                incident_id=incident.pk,
                actor=request.user,
                body=data["body"],
                visibility=data["visibility"],
                files=files,
            )
        ),
        success=_("Reply sent to the requester.") if public else _("Work note added."),
        form_key="comment_form",
        form=form,
    )


@staff_view
@require_POST
def merge(request, number):
    """ "Merge into…": this incident is a duplicate of the one given by number."""
    incident = _incident_or_404(request, number)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _detail_again(request, incident, "merge_form", form)
    data = form.cleaned_data
    into = selectors.incidents_visible_to(request.user).filter(number=_full_number(data["into"]))
    survivor = into.only("id", "number").first()
    if survivor is None:
        form.add_error("into", _("No incident with this number."))
        return _detail_again(request, incident, "merge_form", form)
    return _run(
        request,
        incident,
        lambda: services.incident_merge(
            incident_id=incident.pk,
            into_id=survivor.pk,
            actor=request.user,
            version=data["version"],
        ),  # fmt: skip
        success=_("%(duplicate)s is merged into %(survivor)s.")
        % {"duplicate": incident.number, "survivor": survivor.number},
        form_key="merge_form",
        form=form,
        done=lambda: redirect("incidents:detail", number=survivor.number),
    )


def _full_number(text: str) -> str:
    """ "inc42" or "42" is INC0000042; anything else is returned as typed."""
    digits = text.strip().upper().removeprefix(Incident.NUMBER_PREFIX)
    if digits.isdigit() and len(digits) <= 18:
        return f"{Incident.NUMBER_PREFIX}{int(digits):0{NUMBER_DIGITS}d}"
    return text.strip()


@staff_view
def queue_link(request):
    """Jump to an incident by number from the search box (falls back to a search)."""
    text = request.GET.get("q", "").strip()
    digits = text.upper().removeprefix("INC")
    if digits.isdigit():
        number = f"INC{int(digits):0{NUMBER_DIGITS}d}"
        if selectors.incidents_visible_to(request.user).filter(number=number).exists():
            return redirect("incidents:detail", number=number)
    return redirect(reverse("incidents:queue") + "?" + urlencode({"queue": "all", "q": text}))
