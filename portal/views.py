from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import USE_PORTAL
from incidents import services
from incidents.choices import IncidentStatus
from incidents.forms import apply_service_errors
from incidents.models import Incident
from portal.forms import ReplyForm, ReportIncidentForm
from portal.selectors import my_incident, my_incidents, service_desk_contact
from servicedesk.exceptions import ApplicationError
from servicedesk.selectors import record_timeline


def portal_view(view):
    return login_required(permission_required(USE_PORTAL, raise_exception=True)(view))


@portal_view
def home(request):
    """The end user's start page: their open incidents and how to reach the service desk."""
    return render(
        request,
        "portal/home.html",
        {"desk": service_desk_contact(), "incidents": my_incidents(user=request.user)[:5]},
    )


@portal_view
def incidents(request):
    status = request.GET.get("show", "open")
    rows = my_incidents(user=request.user, open_only=status == "open")[:200]
    return render(request, "portal/incidents.html", {"incidents": rows, "show": status})


@portal_view
def report(request):
    form = ReportIncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you. We have logged %(number)s and will keep you informed by e-mail.")
                % {"number": incident.number},
            )
            return redirect("portal:incident", number=incident.number)
    return render(request, "portal/report.html", {"form": form})


def _mine_or_404(request, number) -> Incident:
    try:
        return my_incident(user=request.user, number=number)
    except Incident.DoesNotExist:
        raise Http404(_("No incident with this number.")) from None


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
        "portal/incident.html",
        {
            "incident": record,
            "timeline": record_timeline(record=record, user=request.user),
            "form": form,
            "can_reopen": record.status == IncidentStatus.RESOLVED,
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
