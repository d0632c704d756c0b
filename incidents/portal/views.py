"""The incidents' portal pages. Each loads the incident through `incidents_visible_to` (via
`servicedesk.portal.requester_record_or_404`), so another person's incident is a 404 on every page
and action, GET or POST."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalogue.selectors import services_visible_to
from incidents import services
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.portal.forms import ReportWithDeflectionForm
from knowledge.selectors import article_search
from portal import services as portal_services
from servicedesk import registry
from servicedesk.exceptions import ApplicationError
from servicedesk.forms import apply_service_errors
from servicedesk.portal import (
    ReplyForm,
    error_text,
    portal_view,
    rating_context,
    requester_records,
    unfinished_statuses,
)
from servicedesk.scoping import sees_organisation_records
from servicedesk.selectors import record_timeline


def _incident_type():
    return registry.get("incident")


def my_incidents(*, user, open_only: bool = False, organisation: bool = False):
    """The person's incidents (and their organisation's, for a team lead who may see those),
    newest first; open ones are those not yet closed or cancelled (a resolved incident waits
    for the requester's confirmation)."""
    record_type = _incident_type()
    rows = requester_records(user=user, record_type=record_type, organisation=organisation)
    if open_only:
        rows = rows.filter(status__in=unfinished_statuses(record_type))
    return rows.select_related("support_group", "requester")


def _mine_or_404(request, number) -> Incident:
    rows = requester_records(user=request.user, record_type=_incident_type(), organisation=True)
    try:
        return rows.select_related("support_group", "category").get(number=number)
    except Incident.DoesNotExist:
        raise Http404(_("No incident with this number.")) from None


def home_panel(request, **page) -> dict:
    """The home page's "Your recent incidents"."""
    return {"incidents": my_incidents(user=request.user)[:5]}


def search_panel(request, *, q: str = "", **page) -> dict:
    """The search page's "Not solved? Report the problem", with the text searched as the title."""
    return {"q": q}


@portal_view
def incidents(request):
    status = request.GET.get("show", "open")
    whose = "organisation" if request.GET.get("whose") == "organisation" else "mine"
    rows = my_incidents(
        user=request.user, open_only=status == "open", organisation=whose == "organisation"
    )[:200]
    context = {
        "incidents": rows,
        "show": status,
        "whose": whose,
        "sees_organisation": sees_organisation_records(request.user),
    }
    return render(request, "incidents/portal/incidents.html", context)


# --- Reporting a problem, with deflection -------------------------------------------------------


def _report_services(user):
    return services_visible_to(user).filter(is_active=True).order_by("name")


@portal_view
def report(request):
    form = ReportWithDeflectionForm(
        request.POST or None, request.FILES or None, services=_report_services(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("file", None)
        deflection_id = data.pop("deflection", None)
        try:
            with transaction.atomic():
                incident = services.incident_create(actor=request.user, **data)
                if upload:
                    services.incident_attach(
                        incident_id=incident.pk, actor=request.user, file=upload
                    )
                portal_services.deflection_logged(
                    deflection_id=deflection_id, user=request.user, incident=incident
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you. We have logged %(number)s and will keep you informed by e-mail.")
                % {"number": incident.number},
            )
            return redirect("portal:incident", number=incident.number)
    if not form.is_bound or not form["deflection"].value():
        deflection = portal_services.deflection_start(user=request.user)
        form.initial["deflection"] = deflection.pk
        if form.is_bound:
            form.data = form.data.copy()
            form.data["deflection"] = deflection.pk
    if not form.is_bound and request.GET.get("title"):
        form.initial["title"] = request.GET["title"][:200]  # "report it" from the search page
    suggestions = article_search(form["title"].value() or "", user=request.user)
    return render(request, "incidents/portal/report.html", {"form": form, "articles": suggestions})


# --- One incident -------------------------------------------------------------------------------


@portal_view
def incident(request, number):
    record = _mine_or_404(request, number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [form.cleaned_data["file"]] if form.cleaned_data.get("file") else []
        try:
            services.incident_comment(
                incident_id=record.pk, actor=request.user, body=form.cleaned_data["body"],
                files=files,
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        except (ApplicationError, PermissionDenied) as error:
            messages.error(request, str(getattr(error, "message", error)))
        else:
            messages.success(request, _("Your reply has been sent."))
            return redirect("portal:incident", number=number)
    return render(
        request,
        "incidents/portal/incident.html",
        {
            "incident": record,
            "timeline": record_timeline(record=record, user=request.user),
            "form": form,
            "can_reopen": record.status == IncidentStatus.RESOLVED,
            **rating_context(record),
        },
    )


@portal_view
@require_POST
def reopen(request, number):
    record = _mine_or_404(request, number)
    target = IncidentStatus.IN_PROGRESS if record.assignee_id else IncidentStatus.NEW
    reason = request.POST.get("reason", "").strip()
    try:
        # One transaction: a refused reopen must not leave its reason behind as a reply.
        with transaction.atomic():
            if reason:
                services.incident_comment(incident_id=record.pk, actor=request.user, body=reason)
            services.incident_transition(
                incident_id=record.pk, actor=request.user, target=target,
                note=_("Reopened by the requester."),
            )  # fmt: skip
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("%(number)s is open again.") % {"number": record.number})
    return redirect("portal:incident", number=number)


@portal_view
@require_POST
def confirm(request, number):
    """The requester confirms the resolution: the incident is closed."""
    record = _mine_or_404(request, number)
    try:
        services.incident_transition(
            incident_id=record.pk, actor=request.user, target=IncidentStatus.CLOSED,
            note=_("The requester confirmed the resolution."),
        )  # fmt: skip
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Thank you for confirming. %(number)s is closed.")
                         % {"number": record.number})  # fmt: skip
    return redirect("portal:incident", number=number)
