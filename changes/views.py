"""The agent workspace's change pages: the queue, raising (by hand or from a standard
template), the change page with its actions, the risk form, the review and the CAB agenda.
Thin: forms check shapes, `changes.services` does the work, `servicedesk.pages` shows refusals."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from changes import selectors, services
from changes.calendar import Filters, calendar_page
from changes.choices import ChangeStatus as S
from changes.choices import ChangeType, Outcome, RiskLevel
from changes.collisions import collisions_for
from changes.forms import (
    CalendarForm,
    ChangeCreateForm,
    ChangeForm,
    CIAddForm,
    CloseForm,
    ReviewForm,
    RiskForm,
    TemplateChangeForm,
)
from changes.models import Change, StandardChangeTemplate
from changes.records import CHANGE
from changes.workflow import CHANGE_WORKFLOW
from customfields import forms as custom_fields_forms
from customfields import services as custom_fields
from servicedesk.approvals.selectors import record_approvals
from servicedesk.approvals.services import approval_decide
from servicedesk.forms import AssignForm, CommentForm, RecordLinkForm
from servicedesk.models import Visibility
from servicedesk.pages import assign_from_form, comment_extras, posted_version, run_action
from servicedesk.pages import staff_view as kernel_staff_view
from servicedesk.paging import page_of
from servicedesk.selectors import queue_annotate, record_links, record_timeline

staff_view = kernel_staff_view(work=CHANGE.work_permission)

QUEUE_LABELS = [
    ("open", gettext_lazy("Open changes")),
    ("mine", gettext_lazy("My changes")),
    ("awaiting", gettext_lazy("Awaiting authorisation")),
    ("scheduled", gettext_lazy("Scheduled")),
    ("review", gettext_lazy("In review")),
    ("all", gettext_lazy("All changes")),
]

# The workflow's moves a page offers as plain buttons (the others have their own form).
BUTTONS = {
    S.ASSESSED: gettext_lazy("Submit for assessment"),
    S.SCHEDULED: gettext_lazy("Schedule"),
    S.IMPLEMENTING: gettext_lazy("Start implementing"),
    S.REVIEW: gettext_lazy("Implementation done"),
}


def _change_or_404(request, number) -> Change:
    try:
        return selectors.change_for_page(user=request.user, number=number)
    except Change.DoesNotExist:
        raise Http404(_("No change with this number.")) from None


def _to_change(number):
    return lambda: redirect("changes:detail", number=number)


@staff_view
def queue(request):
    """A change queue, newest first; keyset pages (`servicedesk.paging.page_of`, `?cursor=`)."""
    name = request.GET.get("queue", "open")
    if name not in selectors.QUEUES:
        name = "open"
    page = page_of(
        selectors.change_queue(user=request.user, queue=name),
        ordering=("-created_at", "-id"),
        cursor=request.GET.get("cursor", ""),
        size=settings.QUEUE_PAGE_SIZE,
    )
    queue_annotate(page.rows)
    return render(
        request,
        "changes/_queue_table.html" if request.htmx else "changes/queue.html",
        {"changes": page.rows, "page": page, "queue": name, "queues": QUEUE_LABELS,
         "query": f"queue={name}"},
    )  # fmt: skip


@staff_view
def create(request):
    form = ChangeCreateForm(request.POST or None)
    custom_form = custom_fields_forms.for_new_record(
        "change", request.POST or None, category=request.POST.get("category", "")
    )
    if request.method == "POST" and form.is_valid() & custom_form.is_valid():
        data = form.cleaned_data
        created = {}

        def raise_it():
            ci = data["configuration_item"]
            created["change"] = custom_fields.create_from_form(
                form=custom_form, actor=request.user,
                create=lambda: services.change_create(
                    actor=request.user, fields=form.own_fields(),
                    configuration_items=[ci] if ci else [], services=data["services"],
                ),
            )  # fmt: skip

        return run_action(
            request, raise_it, success=_("Change raised."),
            done=lambda: redirect("changes:detail", number=created["change"].number),
            form=form, again=lambda status: _create_page(request, form, status, custom_form),
        )  # fmt: skip
    return _create_page(request, form, 400 if request.method == "POST" else 200, custom_form)


def _create_page(request, form, status=200, custom_form=None):
    return render(
        request, "changes/create.html", {"form": form, "custom_form": custom_form}, status=status
    )


@staff_view
def from_template(request):
    """New from a standard-change template: pre-approved, so no CAB."""
    form = TemplateChangeForm(request.POST or None, initial={"template": request.GET.get("t")})
    templates = StandardChangeTemplate.objects.filter(is_active=True).select_related("category")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = {}
        fields = {"planned_start": data["planned_start"]}
        if data["title"]:
            fields["title"] = data["title"]

        def raise_it():
            created["change"] = services.change_from_template(
                actor=request.user, template=data["template"], fields=fields
            )

        return run_action(
            request, raise_it, success=_("Standard change raised."),
            done=lambda: redirect("changes:detail", number=created["change"].number),
            form=form,
            again=lambda status: render(
                request, "changes/from_template.html",
                {"form": form, "templates": templates}, status=status,
            ),
        )  # fmt: skip
    return render(
        request,
        "changes/from_template.html",
        {"form": form, "templates": templates},
        status=400 if request.method == "POST" else 200,
    )


def _detail_page(request, change, *, status=200, **forms):
    questions = selectors.risk_questions()
    answers = selectors.risk_answers_of(change)
    targets = CHANGE_WORKFLOW.allowed_targets(change.status)
    approvals = list(record_approvals(change))
    context = {
        "change": change,
        "record": change,
        "targets": targets,
        "buttons": [(t, BUTTONS[t]) for t in targets if t in BUTTONS],
        "route": selectors.approval_route(change) if change.status == S.REQUESTED else None,
        "approvals": approvals,
        "my_approval": next(
            (
                a
                for a in approvals
                if a.approver_id == request.user.pk and a.is_pending and a.approval_set.is_pending
            ),
            None,
        ),
        "impact": selectors.change_impact(change),
        "collisions": collisions_for(change),
        "timeline": record_timeline(record=change, user=request.user),
        "links": record_links(record=change, user=request.user),
        "link_form": RecordLinkForm(auto_id="link-%s"),
        "comment_form": forms.get("comment_form")
        or CommentForm(initial={"visibility": Visibility.INTERNAL}),
        "assign_form": forms.get("assign_form") or AssignForm.for_record(change),
        "ci_form": forms.get("ci_form") or CIAddForm(initial={"version": change.version}),
        "risk_form": forms.get("risk_form")
        or RiskForm(questions=questions, answers=answers, initial={"version": change.version}),
        "risk_answers": answers,
        "review_form": forms.get("review_form") or ReviewForm(initial={"version": change.version}),
        "close_form": forms.get("close_form") or CloseForm(initial={"version": change.version}),
        "open_dialog": forms.get("open_dialog", ""),
        "is_change_manager": services.is_change_manager(request.user),
        "editable": change.status in services.OPEN_FOR_EDIT,
        "cis_editable": change.status == S.REQUESTED,
    }
    return render(request, "changes/detail.html", context, status=status)


@staff_view
def detail(request, number):
    change = _change_or_404(request, number)
    form = CommentForm(request.POST or None, request.FILES or None)
    extras = comment_extras(request, change)
    if request.method == "POST" and form.is_valid() & extras.is_valid():
        data = form.cleaned_data
        return run_action(
            request,
            extras.saving(
                lambda: services.change_comment(
                    change_id=change.pk,
                    actor=request.user,
                    body=data["body"],
                    visibility=Visibility.INTERNAL,
                    files=[data["file"]] if data.get("file") else [],
                )
            ),  # fmt: skip
            success=_("Work note added."),
            done=_to_change(number),
        )
    if request.method == "POST":
        return _detail_page(request, change, status=400, comment_form=form)
    return _detail_page(request, change)


@staff_view
def edit(request, number):
    change = _change_or_404(request, number)
    form = ChangeForm.for_change(change, request.POST or None)
    custom_form = custom_fields_forms.for_record(change, request.POST or None)
    if request.method == "POST" and form.is_valid() & custom_form.is_valid():
        data = form.cleaned_data
        relations = {}
        if change.status == S.REQUESTED:
            relations["services"] = data["services"]
        return run_action(
            request,
            lambda: custom_fields.update_from_form(
                record=change,
                form=custom_form,
                actor=request.user,
                update=lambda: services.change_update(
                    change_id=change.pk,
                    actor=request.user,
                    changes=form.own_fields(),
                    version=data["version"],
                    relations=relations,
                ),
            ),  # fmt: skip
            success=_("%(number)s saved.") % {"number": number},
            done=_to_change(number),
            form=form,
            again=lambda status: _edit_page(request, change, form, status, custom_form),
        )
    return _edit_page(request, change, form, 400 if request.method == "POST" else 200, custom_form)


def _edit_page(request, change, form, status=200, custom_form=None):
    return render(
        request,
        "changes/edit.html",
        {"change": change, "form": form, "custom_form": custom_form},
        status=status,
    )


@staff_view
@require_POST
def action(request, number):
    """The change page's workflow buttons and "Assign to me", each on the version it showed."""
    change = _change_or_404(request, number)
    target = request.POST.get("action", "")
    version = posted_version(request)
    if target == "take":
        return run_action(
            request,
            lambda: services.change_take(change_id=change.pk, actor=request.user, version=version),
            success=_("%(number)s is now yours.") % {"number": number},
            done=_to_change(number),
        )
    label = CHANGE_WORKFLOW.labels.get(target, target)
    return run_action(
        request,
        lambda: services.change_transition(
            change_id=change.pk,
            actor=request.user,
            target=target,
            version=version,
            note=request.POST.get("note", ""),
            outcome=request.POST.get("outcome", ""),
        ),  # fmt: skip
        success=_("%(number)s: %(status)s.") % {"number": number, "status": label},
        done=_to_change(number),
    )


@staff_view
@require_POST
def close(request, number):
    change = _change_or_404(request, number)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, change, status=400, close_form=form, open_dialog="close")
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.change_transition(
            change_id=change.pk,
            actor=request.user,
            target=S.CLOSED,
            version=data["version"],
            note=data["note"],
            outcome=data["outcome"],
        ),  # fmt: skip
        success=_("%(number)s is closed.") % {"number": number},
        done=_to_change(number),
        form=form,
        again=lambda status: _detail_page(
            request, change, status=status, close_form=form, open_dialog="close"
        ),
    )


@staff_view
@require_POST
def assign(request, number):
    change = _change_or_404(request, number)
    form = AssignForm(request.POST)
    return assign_from_form(
        request, change, form,
        assign=lambda **choice: services.change_assign(
            change_id=change.pk, actor=request.user, **choice
        ),
        done=_to_change(number),
        again=lambda status: _detail_page(request, change, assign_form=form, status=status),
    )  # fmt: skip


@staff_view
@require_POST
def risk(request, number):
    """The risk questionnaire's answers: the score and level, hence the approval route."""
    change = _change_or_404(request, number)
    form = RiskForm(request.POST, questions=selectors.risk_questions())
    if not form.is_valid():
        return _detail_page(request, change, status=400, risk_form=form, open_dialog="risk")
    return run_action(
        request,
        lambda: services.change_risk_assess(
            change_id=change.pk,
            actor=request.user,
            answers=form.answers(),
            version=form.cleaned_data["version"],
        ),  # fmt: skip
        success=_("Risk assessed."),
        done=_to_change(number),
        form=form,
        again=lambda status: _detail_page(
            request, change, status=status, risk_form=form, open_dialog="risk"
        ),
    )


@staff_view
@require_POST
def review(request, number):
    """The post-implementation review."""
    change = _change_or_404(request, number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, change, status=400, review_form=form, open_dialog="review")
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.change_review(
            change_id=change.pk,
            actor=request.user,
            outcome=data["outcome"],
            objectives_met=data["objectives_met"],
            lessons=data["lessons"],
            incidents_caused=data["incidents_caused"],
            version=data["version"],
        ),  # fmt: skip
        success=_("Review recorded."),
        done=_to_change(number),
        form=form,
        again=lambda status: _detail_page(
            request, change, status=status, review_form=form, open_dialog="review"
        ),
    )


@staff_view
@require_POST
def ci_add(request, number):
    change = _change_or_404(request, number)
    form = CIAddForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, change, status=400, ci_form=form)
    current = list(change.configuration_items.all())
    ci = form.cleaned_data["configuration_item"]
    return run_action(
        request,
        lambda: services.change_update(
            change_id=change.pk,
            actor=request.user,
            changes={},
            version=form.cleaned_data["version"],
            relations={"configuration_items": [*current, ci]},
        ),  # fmt: skip
        success=_("%(ci)s added.") % {"ci": ci},
        done=_to_change(number),
    )


@staff_view
@require_POST
def ci_remove(request, number, pk):
    change = _change_or_404(request, number)
    remaining = [ci for ci in change.configuration_items.all() if ci.pk != pk]
    return run_action(
        request,
        lambda: services.change_update(
            change_id=change.pk,
            actor=request.user,
            changes={},
            version=posted_version(request),
            relations={"configuration_items": remaining},
        ),  # fmt: skip
        success=_("Removed."),
        done=_to_change(number),
    )


@staff_view
@require_POST
def decide(request, number):
    """A CAB member's (or change manager's) decision on the change page, with a comment: the
    kernel's `approval_decide`, as the portal's approvals page and the e-mail link decide."""
    change = _change_or_404(request, number)
    approval = next(
        (a for a in record_approvals(change) if a.approver_id == request.user.pk
         and a.is_pending and a.approval_set.is_pending),
        None,
    )  # fmt: skip
    if approval is None:
        raise Http404(_("Nothing of this change waits for your decision."))
    approve = request.POST.get("decision") == "approve"
    return run_action(
        request,
        lambda: approval_decide(
            approval_id=approval.pk,
            actor=request.user,
            approve=approve,
            comment=request.POST.get("comment", ""),
        ),  # fmt: skip
        success=(_("You approved %(number)s.") if approve else _("You rejected %(number)s."))
        % {"number": number},
        done=_to_change(number),
    )


@staff_view
def cab_agenda(request):
    """The CAB meeting's agenda: changes waiting for authorisation and those coming up, each
    with its risk, window, CIs and approvals so far. Printable (its own print stylesheet)."""
    changes = list(selectors.cab_agenda(user=request.user))
    waiting = selectors.waiting_approvals(changes)
    rows = [(change, waiting.get(change.pk, [])) for change in changes]
    return render(request, "changes/cab_agenda.html", {"rows": rows, "now": timezone.now()})


def _calendar_link(params: dict, **override) -> str:
    query = {**params, **override}
    return "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")})


@staff_view
def calendar(request):
    """The change calendar: a month, week or day of scheduled changes with the blackout and
    maintenance windows, filtered by service, CI, group and risk. `?change=CHG…` focuses one
    change: its collisions (with the CMDB path to each) beside the calendar, the changes it
    collides with marked in it."""
    form = CalendarForm(request.GET or None)
    data = {}
    if form.is_bound:
        valid = form.is_valid()
        data = form.cleaned_data  # the fields understood; the others are left out
    if form.is_bound and not valid:
        messages.error(request, _("Some filters were not understood; the calendar shows without them."))  # fmt: skip
    view = data.get("view") or "month"
    anchor = data.get("date") or timezone.localdate()
    filters = Filters(
        service=data["service"].pk if data.get("service") else None,
        ci=data["ci"].pk if data.get("ci") else None,
        group=data["group"].pk if data.get("group") else None,
        risk=data.get("risk") or "",
    )
    focus, collisions = None, []
    if data.get("change"):
        try:
            focus = selectors.change_for_page(user=request.user, number=data["change"])
        except Change.DoesNotExist:
            messages.error(request, _("No change with this number."))
        else:
            collisions = collisions_for(focus)
    first_weekday = (int(get_format("FIRST_DAY_OF_WEEK")) - 1) % 7  # Django: 0 is Sunday
    page = calendar_page(
        user=request.user, view=view, anchor=anchor, filters=filters, first_weekday=first_weekday
    )
    labels = {"status": dict(S.choices), "risk": dict(RiskLevel.choices),
              "type": dict(ChangeType.choices)}  # fmt: skip
    colliding = {c.change.number for c in collisions if c.change is not None}
    for day in page.days:
        for entry in day.entries:
            if "status_label" not in entry:
                entry["status_label"] = labels["status"].get(entry["status"], entry["status"])
                entry["risk_label"] = labels["risk"].get(entry["risk_level"], "")
                entry["type_label"] = labels["type"].get(entry["change_type"], "")
                entry["colliding"] = entry["number"] in colliding
                entry["focused"] = focus is not None and entry["number"] == focus.number
    params = {
        "view": view,
        "service": filters.service,
        "ci": filters.ci,
        "group": filters.group,
        "risk": filters.risk,
        "change": focus.number if focus else "",
    }
    for day in page.days:
        day.url = _calendar_link(params, view="day", date=day.day.isoformat())  # type: ignore[attr-defined]
    today = timezone.localdate()
    return render(
        request,
        "changes/calendar.html",
        {
            "form": form,
            "page": page,
            "view": view,
            "views": [(key, label, _calendar_link(params, view=key, date=page.anchor.isoformat()))
                      for key, label in CalendarForm.base_fields["view"].choices],
            "previous_url": _calendar_link(params, date=page.previous.isoformat()),
            "next_url": _calendar_link(params, date=page.following.isoformat()),
            "today_url": _calendar_link(params, date=today.isoformat()),
            "params": params,
            "weekdays": page.days[:7] if view != "day" else page.days[:1],
            "focus": focus,
            "change": focus,
            "collisions": collisions,
            "filtered": any(filters.as_query().values()),
        },
    )  # fmt: skip


def _hours(value) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


@staff_view
def kpis(request):
    """The change KPIs over a period: on planned time, first-time success, emergency share,
    unauthorised CI changes, changes that caused incidents, the backlog by age, CAB decision
    time (`changes.kpis`)."""
    from changes.kpis import PERIODS, change_kpis
    from servicedesk.models import ApprovalRule

    days = request.GET.get("days", "90")
    days = int(days) if days.isdigit() and int(days) in PERIODS else 90
    figures = change_kpis(days=days)
    ages = [
        ("under_7", _("Under a week")), ("7_30", _("1–4 weeks")),
        ("30_90", _("1–3 months")), ("over_90", _("Over 3 months")),
    ]  # fmt: skip
    statuses = dict(S.choices)
    backlog = [
        (statuses[status], [row.get(key, 0) for key, _label in ages], sum(row.values()))
        for status, row in figures.backlog.items()
    ]
    rules = dict(ApprovalRule.choices)
    return render(request, "changes/kpis.html", {
        "figures": figures, "days": days, "periods": PERIODS, "tab": "changes",
        "ages": ages, "backlog": backlog,
        "outcomes": [(label, figures.outcomes.get(value, 0)) for value, label in Outcome.choices],
        "decision_mean": _hours(figures.decision_mean),
        "decision_median": _hours(figures.decision_median),
        "by_rule": [(rules.get(rule, rule), n, _hours(mean))
                    for rule, (n, mean) in figures.decision_by_rule.items()],
    })  # fmt: skip
