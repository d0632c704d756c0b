"""The CMDB pages: browse, search and edit CIs (configuration managers), read them (agents),
impact analysis as a graph and as a list, CSV import/export, baselines, and the impact proposal
panel of the incident page. Thin: forms check shapes, services do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cmdb import imports, selectors, services
from cmdb.choices import REVERSE_LABELS, Direction, LifecycleStatus, ProposalStatus
from cmdb.filters import ConfigurationItemFilter
from cmdb.forms import (
    BaselineForm,
    CIForm,
    ImpactForm,
    ImportForm,
    ProposalDecisionForm,
    RelationshipForm,
    initial_for,
)
from cmdb.graph import default_depth
from cmdb.models import Baseline, CIClass, ConfigurationItem, Relationship
from servicedesk.csvfiles import csv_lines
from servicedesk.exceptions import ApplicationError, TransitionNotAllowed
from servicedesk.paging import page_of
from servicedesk.security import allow_cytoscape_style
from servicedesk.selectors import record_timeline

PAGE_SIZE = 50
_read = [login_required, permission_required(selectors.VIEW_PERMISSION, raise_exception=True)]
_edit = [login_required, permission_required(selectors.EDIT_PERMISSION, raise_exception=True)]


def reader(view):
    for decorator in reversed(_read):
        view = decorator(view)
    return view


def editor(view):
    for decorator in reversed(_edit):
        view = decorator(view)
    return view


def _apply_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _ci_or_404(request, pk) -> ConfigurationItem:
    try:
        return selectors.ci_get(user=request.user, pk=pk)
    except ConfigurationItem.DoesNotExist:
        raise Http404(_("No configuration item with this id.")) from None


@reader
def ci_list(request):
    """Browse and search CIs, by name; keyset pages (`servicedesk.paging.page_of`, no COUNT)."""
    base = selectors.ci_list(user=request.user)
    filterset = ConfigurationItemFilter(request.GET or None, queryset=base)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = page_of(rows, ordering=("name",), cursor=request.GET.get("cursor", ""), size=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "cmdb/ci_list.html",
        {
            "filter": filterset,
            "items": page.rows,
            "page": page,
            "query": params.urlencode(),
            "can_edit": selectors.can_edit(request.user),
            "classes": CIClass.objects.filter(is_active=True).order_by("name"),
        },
    )


def _chosen_class(request, default=None) -> CIClass | None:
    value = request.POST.get("ci_class") or request.GET.get("ci_class")
    if value and str(value).isdigit():
        return CIClass.objects.filter(pk=value, is_active=True).first() or default
    return default


@editor
def ci_create(request):
    """New CI. Choosing the class reloads the form with that class's attributes."""
    ci_class = _chosen_class(request)
    reloading = request.method == "POST" and "reload" in request.POST
    data = request.POST if request.method == "POST" and not reloading else None
    form = CIForm(data, ci_class=ci_class, initial={"ci_class": ci_class.pk if ci_class else None,
                                                     **(request.POST.dict() if reloading else {})})  # fmt: skip
    if data is not None and form.is_valid():
        try:
            ci = services.ci_create(actor=request.user, **form.service_values())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("%(name)s created.") % {"name": ci.name})
            return redirect("cmdb:ci_detail", pk=ci.pk)
    return render(request, "cmdb/ci_form.html", {"form": form, "ci": None, "ci_class": ci_class})


@editor
def ci_edit(request, pk):
    ci = _ci_or_404(request, pk)
    ci_class = _chosen_class(request, default=ci.ci_class)
    reloading = request.method == "POST" and "reload" in request.POST
    data = request.POST if request.method == "POST" and not reloading else None
    initial = initial_for(ci)
    if reloading:
        initial.update(request.POST.dict())
    form = CIForm(data, ci_class=ci_class, initial=initial)
    if data is not None and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            services.ci_update(
                ci_id=ci.pk, actor=request.user, changes=form.service_values(), version=version
            )
        except ValidationError as error:
            _apply_errors(form, error)
        except TransitionNotAllowed as error:
            form.add_error("status" if "status" in form.fields else None, str(error.message))
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("%(name)s updated.") % {"name": ci.name})
            return redirect("cmdb:ci_detail", pk=ci.pk)
    return render(request, "cmdb/ci_form.html", {"form": form, "ci": ci, "ci_class": ci_class})


@reader
def ci_detail(request, pk):
    ci = _ci_or_404(request, pk)
    relationships = selectors.ci_relationships(ci=ci)
    return render(
        request,
        "cmdb/ci_detail.html",
        {
            "ci": ci,
            "attributes": selectors.ci_attribute_rows(ci),
            "outgoing": relationships["outgoing"],
            "incoming": [(r, REVERSE_LABELS[r.type]) for r in relationships["incoming"]],
            "outgoing_more": relationships["outgoing_more"],
            "incoming_more": relationships["incoming_more"],
            "records": selectors.ci_linked_records(ci=ci, user=request.user),
            "timeline": record_timeline(record=ci, user=request.user),
            "relationship_form": RelationshipForm(),
            "can_edit": selectors.can_edit(request.user),
            "impact_form": ImpactForm(
                initial={"direction": Direction.DOWNSTREAM, "depth": default_depth()}
            ),
            "ci_names": list(
                ConfigurationItem.objects.exclude(pk=ci.pk)
                .exclude(status=LifecycleStatus.RETIRED)
                .order_by("name")
                .values_list("name", flat=True)[:500]
            ),
        },
    )


def _impact_params(request) -> tuple[str, int]:
    form = ImpactForm(request.GET)
    form.is_valid()
    direction = form.cleaned_data.get("direction") or Direction.DOWNSTREAM
    depth = form.cleaned_data.get("depth") or default_depth()
    return direction, depth


@reader
@allow_cytoscape_style
def ci_impact(request, pk):
    """Impact analysis as a page: the graph (JavaScript) and the same result as a list."""
    ci = _ci_or_404(request, pk)
    direction, depth = _impact_params(request)
    impact = selectors.impact_of(ci=ci, direction=direction, depth=depth)
    return render(
        request,
        "cmdb/impact.html",
        {
            "ci": ci,
            "impact": impact,
            "form": ImpactForm(initial={"direction": direction, "depth": depth}),
            "direction": direction,
            "depth": depth,
            "json_url": reverse("cmdb:ci_impact_json", args=[ci.pk])
            + f"?direction={direction}&depth={depth}",
        },
    )


@reader
def ci_impact_json(request, pk):
    """The graph's data: nodes (nearest first, capped), edges among them, business services."""
    ci = _ci_or_404(request, pk)
    direction, depth = _impact_params(request)
    impact = selectors.impact_of(ci=ci, direction=direction, depth=depth)
    return JsonResponse(selectors.impact_as_json(impact))


@editor
@require_POST
def relationship_add(request, pk):
    ci = _ci_or_404(request, pk)
    form = RelationshipForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("cmdb:ci_detail", pk=ci.pk)
    other = form.cleaned_data["other"]
    here_needs_other = form.cleaned_data["direction"] == RelationshipForm.HERE_NEEDS_OTHER
    source, target = (ci, other) if here_needs_other else (other, ci)
    try:
        services.relationship_add(
            actor=request.user, source=source, target=target, type=form.cleaned_data["type"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Relationship added."))
    return redirect("cmdb:ci_detail", pk=ci.pk)


@editor
@require_POST
def relationship_remove(request, pk, relationship_id):
    ci = _ci_or_404(request, pk)
    if not Relationship.objects.filter(pk=relationship_id).exists():
        raise Http404
    services.relationship_remove(actor=request.user, relationship_id=relationship_id)
    messages.success(request, _("Relationship removed."))
    return redirect("cmdb:ci_detail", pk=ci.pk)


@reader
def ci_export(request):
    """CSV export of one class, in the import's format."""
    ci_class = get_object_or_404(CIClass, code=request.GET.get("class", ""))

    response = StreamingHttpResponse(
        csv_lines(imports.export_rows(ci_class=ci_class)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="cmdb-{ci_class.code}.csv"'
    return response


@editor
def ci_import(request):
    """CSV import: a dry run lists each row's errors; nothing is saved unless all rows pass."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = imports.run_import(
                actor=request.user,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if report.saved:
                messages.success(
                    request,
                    _("Imported: %(created)s created, %(updated)s updated, %(same)s unchanged.")
                    % {"created": report.created, "updated": report.updated,
                       "same": report.unchanged},
                )  # fmt: skip
    status = 400 if report is not None and not report.ok else 200
    return render(
        request,
        "cmdb/import.html",
        {"form": form, "report": report, "columns": imports.CI_COLUMNS},
        status=status,
    )


@reader
def baseline_list(request):
    form = BaselineForm(request.POST or None)
    if request.method == "POST":
        if not selectors.can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                baseline = services.baseline_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Baseline %(name)s taken.") % {"name": baseline.name})
                return redirect("cmdb:baseline_detail", pk=baseline.pk)
    baselines = Baseline.objects.select_related("ci_class", "created_by")[:100]
    return render(
        request,
        "cmdb/baselines.html",
        {"form": form, "baselines": baselines, "can_edit": selectors.can_edit(request.user)},
    )


@reader
def baseline_detail(request, pk):
    baseline = get_object_or_404(Baseline.objects.select_related("ci_class"), pk=pk)
    return render(
        request,
        "cmdb/baseline_detail.html",
        {"baseline": baseline, "diff": selectors.baseline_diff(baseline=baseline)},
    )


# --- The incident page's impact proposal ---------------------------------------------------


@reader
def incident_proposal(request, incident_id):
    """The proposal panel (htmx polls it while a worker computes). A proposal pending for longer
    than PROPOSAL_STALE_AFTER lost its task (the broker was down): it is computed here."""
    proposal = unstuck(_visible_proposals(request.user).filter(incident_id=incident_id).first())
    return render(request, "cmdb/_proposal.html", proposal_context(proposal, request.user))


def unstuck(proposal):
    """The proposal, computed now if its task has not done it within PROPOSAL_STALE_AFTER."""
    stale = timezone.now() - services.PROPOSAL_STALE_AFTER
    if proposal and proposal.status == ProposalStatus.PENDING and proposal.created_at < stale:
        return services.impact_proposal_compute(proposal_id=proposal.pk)
    return proposal


def _visible_proposals(user):
    return selectors.proposals_visible_to(user)


def proposal_context(proposal, user) -> dict:
    incident = proposal.incident if proposal else None
    return {
        "proposal": proposal,
        "incident": incident,
        "impacts": selectors.impact_choices(),
        "can_decide": user.has_perm("incidents.work_incident"),
    }


@login_required
@require_POST
def incident_proposal_decide(request, incident_id):
    """Accept the proposed impact (no `impact`) or override it with the one chosen."""
    proposal = get_object_or_404(
        _visible_proposals(request.user).select_related("incident"), incident_id=incident_id
    )
    form = ProposalDecisionForm(request.POST)
    form.is_valid()
    number = proposal.incident.number
    try:
        decided = services.impact_proposal_decide(
            incident_id=incident_id,
            actor=request.user,
            impact=form.cleaned_data.get("impact") or None,
            version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not do this."))
    else:
        messages.success(
            request,
            _("Impact set to %(impact)s.")
            % {"impact": dict(selectors.impact_choices())[decided.decided_impact]},
        )
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("incidents:detail", args=[number])
        return response
    return redirect("incidents:detail", number=number)


@reader
def ci_options(request):
    """The `<option>`s of the CI search box (servicedesk.widgets.SearchSelect)."""
    items = selectors.ci_options(request.GET.get("q", ""))
    return render(request, "cmdb/_ci_options.html", {"items": items})
