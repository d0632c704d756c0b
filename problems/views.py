"""The agent workspace's problem pages. Thin: forms check shapes, services do the work."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customfields import forms as custom_fields_forms
from customfields import services as custom_fields
from incidents.priority import priority_levels
from problems import selectors, services
from problems.choices import FISHBONE_CATEGORIES, ProblemStatus
from problems.filters import ProblemFilter
from problems.forms import AnalysisForm, IncidentsForm, ProblemForm, ProblemTransitionForm
from problems.models import Problem
from problems.records import WORK
from problems.workflow import PROBLEM_WORKFLOW
from servicedesk.forms import AssignForm, CommentForm, RecordLinkForm
from servicedesk.pages import (
    assign_from_form,
    comment_extras,
    posted_version,
    run_action,
    staff_view,
)
from servicedesk.paging import page_of
from servicedesk.selectors import (
    queue_annotate,
    record_links,
    record_model_for_number,
    record_timeline,
)
from sla.selectors import page_timers_of, timer_view

QUEUE_LABELS = [
    ("open", gettext_lazy("Open problems")),
    ("mine", gettext_lazy("My problems")),
    ("known_errors", gettext_lazy("Known errors")),
    ("all", gettext_lazy("All problems")),
]
ORDERINGS = {"priority": ["priority", "created_at", "id"], "-created": ["-created_at", "-id"]}


@staff_view(work=WORK)
def queue(request):
    """A queue with filters; keyset pages (`servicedesk.paging.page_of`, `?cursor=`)."""
    name = request.GET.get("queue", "open")
    if name not in selectors.QUEUES:
        name = "open"
    sort = request.GET.get("sort", "priority")
    sort = sort if sort in ORDERINGS else "priority"
    base = selectors.problem_queue(user=request.user, queue=name)
    chosen = request.GET.copy()
    for key in ("queue", "sort", "cursor"):
        chosen.pop(key, None)
    for key in list(chosen):
        if chosen.get(key) == "":
            chosen.pop(key)
    filterset = ProblemFilter(chosen or None, queryset=base)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = page_of(
        rows, ordering=ORDERINGS[sort], cursor=request.GET.get("cursor", ""),
        size=settings.QUEUE_PAGE_SIZE,
    )  # fmt: skip
    queue_annotate(page.rows)
    params = request.GET.copy()
    params.pop("cursor", None)
    template = "problems/_queue_table.html" if request.htmx else "problems/queue.html"
    return render(request, template, {
        "queue": name, "queues": QUEUE_LABELS, "filter": filterset, "problems": page.rows,
        "page": page, "query": params.urlencode(), "sort": sort, "levels": priority_levels(),
    })  # fmt: skip


def _problem_or_404(request, number) -> Problem:
    try:
        return selectors.problem_for_page(user=request.user, number=number)
    except Problem.DoesNotExist:
        raise Http404(_("No problem with this number.")) from None


def _back(problem: Problem):
    return redirect("problems:detail", number=problem.number)


def _detail_context(request, problem: Problem, **forms):
    targets = PROBLEM_WORKFLOW.allowed_targets(problem.status)
    return {
        "problem": problem,
        "record": problem,
        "level": priority_levels().get(problem.priority, {}),
        "targets": [(t, ProblemStatus(t).label) for t in targets],
        "incidents": list(selectors.problem_incidents(problem)),
        "open_incidents": selectors.problem_open_incidents(problem).count(),
        "timeline": record_timeline(record=problem, user=request.user),
        "timers": [timer_view(timer) for timer in page_timers_of(problem)],
        "links": record_links(record=problem, user=request.user),
        "link_form": RecordLinkForm(auto_id="link-%s"),
        "assign_form": forms.get("assign_form") or AssignForm.for_record(problem),
        "transition_form": forms.get("transition_form")
        or ProblemTransitionForm(initial={"version": problem.version}),
        "comment_form": forms.get("comment_form")
        or CommentForm(initial={"visibility": "internal"}),
        "analysis_form": forms.get("analysis_form")
        or AnalysisForm(problem=problem, initial=_analysis_initial(problem)),
        "incidents_form": forms.get("incidents_form") or IncidentsForm(),
        "fishbone": [
            (label, problem.rca_data.get("fishbone", {}).get(key))
            for key, label in FISHBONE_CATEGORIES.items()
        ],  # fmt: skip
        "open_dialog": forms.get("open_dialog", ""),
        "can_manage": request.user.has_perm("problems.manage_problem"),
    }


def _analysis_initial(problem: Problem) -> dict:
    return {
        "version": problem.version, "symptoms": problem.symptoms,
        "root_cause": problem.root_cause, "workaround": problem.workaround,
        "rca_method": problem.rca_method,
    }  # fmt: skip


def _again(request, problem, form_key, form, status=400):
    context = _detail_context(request, problem, **{form_key: form, "open_dialog": form_key})
    return render(request, "problems/detail.html", context, status=status)


def _run(request, problem, action, *, success, form_key=None, form=None, done=None):
    def again(status):
        return _again(request, problem, form_key, form, status)

    return run_action(
        request, action, success=success, done=done or (lambda: _back(problem)),
        back=lambda: _back(problem), form=form, again=again if form is not None else None,
    )  # fmt: skip


@staff_view(work=WORK)
def detail(request, number):
    problem = _problem_or_404(request, number)
    return render(request, "problems/detail.html", _detail_context(request, problem))


@staff_view(work=WORK)
def create(request):
    """A new problem, optionally raised from incidents (`?incidents=<id>&incidents=<id>`)."""
    form = ProblemForm(request.POST or None)
    custom_form = custom_fields_forms.for_new_record(
        "problem", request.POST or None, category=request.POST.get("category", "")
    )
    chosen = IncidentsForm(request.POST or request.GET)
    incident_ids = [i.pk for i in chosen.cleaned_data["incidents"]] if chosen.is_valid() else []
    if request.method == "POST" and form.is_valid() & custom_form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        created: list[Problem] = []
        return run_action(
            request,
            lambda: created.append(custom_fields.create_from_form(
                form=custom_form, actor=request.user,
                create=lambda: services.problem_create(
                    actor=request.user, incident_ids=incident_ids, **fields
                ),
            )),
            success=_("Problem raised."),
            done=lambda: redirect("problems:detail", number=created[0].number),
            form=form,
            again=lambda status: render(
                request, "problems/form.html",
                {"form": form, "incidents": chosen.cleaned_data.get("incidents", []),
                 "custom_form": custom_form},
                status=status,
            ),
        )  # fmt: skip
    incidents = chosen.cleaned_data.get("incidents", []) if chosen.is_valid() else []
    return render(
        request,
        "problems/form.html",
        {"form": form, "incidents": incidents, "custom_form": custom_form},
    )


@staff_view(work=WORK)
@require_POST
def raise_from_incidents(request):
    """The incident queue's "Raise a problem" and the incident page's action: a problem from
    the chosen incidents at once, titled and described from them, then its page."""
    chosen = IncidentsForm(request.POST)
    if not chosen.is_valid() or not chosen.cleaned_data["incidents"]:
        messages.error(request, _("Select the incidents the problem causes."))
        return redirect("incidents:queue")
    ids = [incident.pk for incident in chosen.cleaned_data["incidents"]]
    created: list[Problem] = []
    return run_action(
        request,
        lambda: created.append(services.problem_create(actor=request.user, incident_ids=ids)),
        success=_("Problem raised from %(count)d incident(s).") % {"count": len(ids)},
        done=lambda: redirect("problems:detail", number=created[0].number),
        back=lambda: redirect("incidents:queue"),
    )


@staff_view(work=WORK)
def edit(request, number):
    problem = _problem_or_404(request, number)
    form = ProblemForm(request.POST or None, instance=problem, initial={"version": problem.version})
    custom_form = custom_fields_forms.for_record(problem, request.POST or None)

    def again(status):
        return render(request, "problems/form.html",
                      {"problem": problem, "form": form, "custom_form": custom_form},
                      status=status)  # fmt: skip

    if request.method != "POST" or not (form.is_valid() & custom_form.is_valid()):
        return again(400 if request.method == "POST" else 200)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    changes = {k: v for k, v in data.items() if k in form.changed_data and k != "support_group"}
    # The form wrote onto the instance; the service compares with the stored row.
    problem.refresh_from_db()
    if not changes and not custom_form.has_changed():
        messages.info(request, _("Nothing was changed."))
        return _back(problem)
    return run_action(
        request,
        lambda: custom_fields.update_from_form(
            record=problem, form=custom_form, actor=request.user,
            update=lambda: changes and services.problem_update(
                problem_id=problem.pk, actor=request.user, changes=changes, version=version
            ),
        ),
        success=_("%(number)s updated.") % {"number": problem.number},
        done=lambda: _back(problem), form=form, again=again,
    )  # fmt: skip


@staff_view(work=WORK)
@require_POST
def analysis(request, number):
    problem = _problem_or_404(request, number)
    form = AnalysisForm(request.POST, problem=problem)
    if not form.is_valid():
        return _again(request, problem, "analysis_form", form)
    return _run(
        request, problem,
        lambda: services.problem_update(
            problem_id=problem.pk, actor=request.user, changes=form.changes(),
            version=form.cleaned_data["version"],
        ),
        success=_("Analysis saved."), form_key="analysis_form", form=form,
    )  # fmt: skip


@staff_view(work=WORK)
@require_POST
def take(request, number):
    problem = _problem_or_404(request, number)
    return _run(
        request, problem,
        lambda: services.problem_take(
            problem_id=problem.pk, actor=request.user, version=posted_version(request)
        ),
        success=_("%(number)s is now yours.") % {"number": problem.number},
    )  # fmt: skip


@staff_view(work=WORK)
@require_POST
def assign(request, number):
    problem = _problem_or_404(request, number)
    form = AssignForm(request.POST)
    return assign_from_form(
        request, problem, form,
        assign=lambda **choice: services.problem_assign(
            problem_id=problem.pk, actor=request.user, **choice
        ),
        done=lambda: _back(problem),
        again=lambda status: _again(request, problem, "assign_form", form, status),
    )  # fmt: skip


@staff_view(work=WORK)
@require_POST
def transition(request, number):
    problem = _problem_or_404(request, number)
    form = ProblemTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return _back(problem)
    data = form.cleaned_data
    target = data["target"]
    return _run(
        request, problem,
        lambda: services.problem_transition(
            problem_id=problem.pk, actor=request.user, target=target, version=data["version"],
            note=data["note"], reason=data["reason"], resolve_incidents=data["resolve_incidents"],
        ),
        success=_("%(number)s is now %(status)s.")
        % {"number": problem.number, "status": ProblemStatus(target).label.lower()},
        form_key="transition_form", form=form,
    )  # fmt: skip


@staff_view(work=WORK)
@require_POST
def comment(request, number):
    problem = _problem_or_404(request, number)
    form = CommentForm(request.POST, request.FILES)
    extras = comment_extras(request, problem)
    if not (form.is_valid() & extras.is_valid()):
        return _again(request, problem, "comment_form", form)
    data = form.cleaned_data
    return _run(
        request, problem,
        extras.saving(lambda: services.problem_comment(
            problem_id=problem.pk, actor=request.user, body=data["body"],
            visibility=data["visibility"], files=[data["file"]] if data.get("file") else [],
        )),
        success=_("Work note added."), form_key="comment_form", form=form,
    )  # fmt: skip


def _incident_ids(request, form: IncidentsForm) -> list[int] | None:
    """The ids of the incidents a form names, checked ones and typed numbers; None (with the
    error on the form) when a number names no incident."""
    from incidents.models import Incident

    ids = [incident.pk for incident in form.cleaned_data["incidents"]]
    for text in form.cleaned_data["numbers"].replace(",", " ").split():
        found = record_model_for_number(text)
        incident = None
        if found is not None and found[0] is Incident:
            incident = Incident.objects.filter(number=found[1]).only("id").first()
        if incident is None:
            form.add_error(
                "numbers", _("No incident with the number %(number)s.") % {"number": text}
            )
            return None
        ids.append(incident.pk)
    return ids


@staff_view(work=WORK)
@require_POST
def link_incidents(request, number):
    problem = _problem_or_404(request, number)
    form = IncidentsForm(request.POST)
    ids = _incident_ids(request, form) if form.is_valid() else None
    if not ids:
        if form.is_valid() and ids is not None:
            form.add_error("numbers", _("Give the numbers of the incidents to link."))
        return _again(request, problem, "incidents_form", form)
    return _run(
        request, problem,
        lambda: services.problem_link_incidents(
            problem_id=problem.pk, incident_ids=ids, actor=request.user
        ),
        success=_("Incidents linked."), form_key="incidents_form", form=form,
    )  # fmt: skip


@staff_view(work=WORK)
@require_POST
def unlink_incident(request, number, incident_id):
    problem = _problem_or_404(request, number)
    return _run(
        request, problem,
        lambda: services.problem_unlink_incident(
            problem_id=problem.pk, incident_id=incident_id, actor=request.user
        ),
        success=_("Incident unlinked."),
    )  # fmt: skip


KPI_PERIODS = (30, 90, 365)


@staff_view(work=WORK)
def kpis(request):
    """Problem KPIs: open problems by age and priority, known errors, linked incidents, mean
    time to root cause and the share of incidents resolved with a known workaround."""
    from problems.kpis import AGE_BUCKETS, problem_kpis

    days = request.GET.get("days", "90")
    days = int(days) if days.isdigit() and int(days) in KPI_PERIODS else 90
    figures = problem_kpis(days=days)
    labels = {
        "under_7": _("Under a week"), "7_30": _("1–4 weeks"), "30_90": _("1–3 months"),
        "over_90": _("Over 3 months"),
    }  # fmt: skip
    rows = [
        (labels[key], [figures.by_age[key].get(p, 0) for p in figures.priorities],
         sum(figures.by_age[key].values()))
        for key, _start, _end in AGE_BUCKETS
    ]  # fmt: skip
    mean = figures.mean_time_to_root_cause
    return render(request, "problems/kpis.html", {
        "figures": figures, "rows": rows, "days": days, "periods": KPI_PERIODS, "tab": "problems",
        "mean_hours": round(mean.total_seconds() / 3600, 1) if mean is not None else None,
        "share": round(figures.workaround_share * 100, 1)
        if figures.workaround_share is not None else None,
    })  # fmt: skip
