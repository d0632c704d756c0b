"""The known-error search, applying a workaround from the incident page, and the problem
candidates page. Thin: reads are the selectors', writes the services'. Whoever may not read
known errors (end users) or decide candidates gets a 404, as for a record they may not see."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.selectors import incidents_visible_to
from problems.kedb import selectors, services
from problems.kedb.forms import DismissForm, KnownErrorSearchForm
from problems.kedb.models import CandidateStatus
from problems.kedb.panels import incident_panel_matches
from servicedesk.pages import run_action


def kedb_view(function):
    """Signed in and reading known errors; anyone else a 404."""

    @login_required
    @wraps(function)
    def view(request, *args, **kwargs):
        if not selectors.can_read_known_errors(request.user):
            raise Http404
        return function(request, *args, **kwargs)

    return view


def _incident(request, number: str):
    incident = incidents_visible_to(request.user).filter(number=number).first()
    if incident is None:
        raise Http404
    return incident


@kedb_view
def search(request):
    form = KnownErrorSearchForm(request.GET or None)
    incident = None
    matches = []
    if form.is_valid():
        data = form.cleaned_data
        if data["incident"]:
            incident = incidents_visible_to(request.user).filter(number=data["incident"]).first()
        matches = selectors.known_error_search(
            user=request.user,
            text=data["q"],
            configuration_item_id=incident.configuration_item_id if incident else None,
            service_id=incident.service_id if incident else None,
            limit=20,
        )
    applied = selectors.workarounds_applied(incident) if incident else set()
    return render(
        request,
        "problems/kedb/search.html",
        {"form": form, "matches": matches, "incident": incident, "applied": applied},
    )


@kedb_view
def incident_card(request, number: str):
    """The incident page's known-error card, loaded after the page (htmx)."""
    context = incident_panel_matches(request, _incident(request, number))
    return render(request, "problems/kedb/_incident_panel.html", context)


@kedb_view
@require_POST
def apply(request, number: str):
    """Apply the known error's workaround to the incident posted (`incident`: its number)."""
    incident = _incident(request, request.POST.get("incident", ""))
    problem = selectors.known_errors_visible_to(request.user).filter(number=number).first()
    if problem is None:
        raise Http404
    url = reverse("incidents:detail", args=[incident.number])
    return run_action(
        request,
        lambda: services.workaround_apply(
            incident_id=incident.pk, problem_id=problem.pk, actor=request.user
        ),
        success=_("The workaround of %(problem)s was sent to the requester of %(incident)s.")
        % {"problem": problem.number, "incident": incident.number},
        done=lambda: redirect(url),
    )


def candidates_view(function):
    """Signed in and deciding candidates (problem managers); anyone else a 404."""

    @login_required
    @wraps(function)
    def view(request, *args, **kwargs):
        if not selectors.can_decide_candidates(request.user):
            raise Http404
        return function(request, *args, **kwargs)

    return view


STATUSES = {
    "proposed": CandidateStatus.PROPOSED,
    "accepted": CandidateStatus.ACCEPTED,
    "dismissed": CandidateStatus.DISMISSED,
}


@candidates_view
def candidates(request):
    status = STATUSES.get(request.GET.get("status", ""), CandidateStatus.PROPOSED)
    rows = list(
        selectors.candidate_list(user=request.user, status=status).order_by(
            "-incident_count", "-id"
        )[:100]
    )
    names = selectors.facet_names(rows)
    return render(
        request,
        "problems/kedb/candidates.html",
        {
            "candidates": [(c, _explain(c, names)) for c in rows],
            "status": status,
            "statuses": CandidateStatus.choices,
        },
    )


def _explain(candidate, names) -> dict:
    """What the page says about why the incidents were grouped."""
    reasons = candidate.reasons
    shared = [
        (facet, names.get((facet, value), str(value)))
        for facet, value in (reasons.get("shared") or {}).items()
    ]
    return {
        "facet": candidate.facet,
        "facet_name": names.get((candidate.facet, candidate.facet_value), ""),
        "shared": shared,
        "words": reasons.get("common_words", []),
        "observed": reasons.get("observed"),
        "expected": reasons.get("expected"),
        # How likely so many would be by chance at the baseline's rate (candidates found since
        # the finder checks it), in percent.
        "chance_percent": (
            None if reasons.get("chance") is None else float(reasons["chance"]) * 100
        ),
    }


def _candidate(request, pk: int):
    candidate = selectors.candidates_visible_to(request.user).filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return candidate


@candidates_view
def candidate(request, pk: int):
    row = _candidate(request, pk)
    return render(
        request,
        "problems/kedb/candidate.html",
        {
            "candidate": row,
            "why": _explain(row, selectors.facet_names([row])),
            "incidents": selectors.candidate_incidents(row),
            "dismiss_form": DismissForm(),
        },
    )


@candidates_view
@require_POST
def candidate_accept(request, pk: int):
    row = _candidate(request, pk)
    created = {}

    def accept():
        created["problem"] = services.candidate_accept(candidate_id=row.pk, actor=request.user)

    def done():
        problem = created.get("problem")
        if problem is not None:
            return redirect("problems:detail", number=problem.number)
        return redirect("kedb:candidate", pk=row.pk)

    return run_action(
        request,
        accept,
        success=_("Problem raised with the candidate's incidents linked."),
        done=done,
    )


@candidates_view
@require_POST
def candidate_dismiss(request, pk: int):
    row = _candidate(request, pk)
    form = DismissForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return run_action(
        request,
        lambda: services.candidate_dismiss(candidate_id=row.pk, actor=request.user, reason=reason),
        success=_("Candidate dismissed: this group will not be proposed again."),
        done=lambda: redirect("kedb:candidates"),
        back=lambda: redirect("kedb:candidate", pk=row.pk),
    )
