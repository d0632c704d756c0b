"""The self-service portal: search, the catalogue and ordering, reporting a problem (with
knowledge articles offered first), following one's requests and incidents, rating them, and
deciding approvals (in the portal or from the signed e-mail link)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import USE_PORTAL
from catalogue import services as catalogue_services
from catalogue.forms import OrderForm
from catalogue.links import approval_from_token
from catalogue.models import Approval, Decision, RequestStatus, ServiceRequest
from catalogue.selectors import (
    approvals_waiting_for,
    catalogue_search,
    my_requests,
    orderable_items,
    popular_services,
    services_visible_to,
)
from incidents import services
from incidents.choices import IncidentStatus
from incidents.forms import apply_service_errors
from incidents.models import Incident
from knowledge.models import Article
from knowledge.selectors import article_search, published
from portal import services as portal_services
from portal.forms import (
    CancelForm,
    DecisionForm,
    RatingForm,
    ReplyForm,
    ReportWithDeflectionForm,
)
from portal.selectors import (
    my_incident,
    my_incidents,
    my_record,
    my_records,
    rating_of,
    service_desk_contact,
)
from servicedesk.exceptions import ApplicationError
from servicedesk.selectors import record_timeline


def portal_view(view):
    return login_required(permission_required(USE_PORTAL, raise_exception=True)(view))


def _error_text(error) -> str:
    return " ".join(getattr(error, "messages", None) or [str(getattr(error, "message", error))])


# --- Home, search, catalogue -----------------------------------------------------------------


@portal_view
def home(request):
    """A search box, the most-used services, what the person has open, approvals waiting."""
    return render(
        request,
        "portal/home.html",
        {
            "desk": service_desk_contact(),
            "incidents": my_incidents(user=request.user)[:5],
            "requests": my_requests(user=request.user)[:5],
            "popular": popular_services(request.user),
            "approvals_waiting": approvals_waiting_for(request.user).count(),
        },
    )


@portal_view
def search(request):
    text = request.GET.get("q", "").strip()
    return render(
        request,
        "portal/search.html",
        {
            "q": text,
            "services": catalogue_search(request.user, text)[:20] if text else [],
            "items": orderable_items(request.user).filter(name__icontains=text)[:20]
            if text
            else [],
            "articles": article_search(text, limit=10),
        },
    )


@portal_view
def catalogue(request):
    text = request.GET.get("q", "").strip()
    services_ = list(catalogue_search(request.user, text).prefetch_related("offerings"))
    items = orderable_items(request.user).filter(service__in=services_).order_by("name")
    by_service = {}
    for item in items:
        by_service.setdefault(item.service_id, []).append(item)
    for service in services_:
        service.orderable = by_service.get(service.pk, [])
    return render(request, "portal/catalogue.html", {"services": services_, "q": text})


@portal_view
def service(request, pk):
    record = get_object_or_404(services_visible_to(request.user), pk=pk)
    return render(
        request,
        "portal/service.html",
        {
            "service": record,
            "offerings": record.offerings.filter(is_active=True),
            "items": orderable_items(request.user).filter(service=record).order_by("name"),
            "articles": published().filter(service=record)[:10],
        },
    )


@portal_view
def order(request, pk):
    item = get_object_or_404(orderable_items(request.user), pk=pk)
    form = OrderForm(item, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        answers, files = form.answers()
        try:
            record = catalogue_services.request_create(
                actor=request.user, item=item, answers=answers, files=files
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you. Your request %(number)s is registered.") % {"number": record.number},
            )
            return redirect("portal:request", number=record.number)
    return render(request, "portal/order.html", {"item": item, "form": form})


# --- My requests and incidents ------------------------------------------------------------------


@portal_view
def records(request):
    show = request.GET.get("show", "open")
    rows = my_records(user=request.user, open_only=show == "open", limit=100)
    return render(request, "portal/records.html", {"records": rows, "show": show})


@portal_view
def incidents(request):
    status = request.GET.get("show", "open")
    rows = my_incidents(user=request.user, open_only=status == "open")[:200]
    return render(request, "portal/incidents.html", {"incidents": rows, "show": status})


def _my_request_or_404(request, number) -> ServiceRequest:
    record = (
        ServiceRequest.objects.select_related("item", "service", "offering", "support_group")
        .filter(requester=request.user, number=number)
        .first()
    )
    if record is None:
        raise Http404(_("No request with this number."))
    return record


@portal_view
def request_detail(request, number):
    record = _my_request_or_404(request, number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [form.cleaned_data["file"]] if form.cleaned_data.get("file") else []
        try:
            catalogue_services.request_comment(
                request_id=record.pk, actor=request.user, body=form.cleaned_data["body"],
                files=files,
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        except (ApplicationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Your reply has been sent."))
            return redirect("portal:request", number=number)
    rating = rating_of(record)
    return render(
        request,
        "portal/request.html",
        {
            "req": record,
            "approvals": record.approvals.select_related("approver"),
            "timeline": record_timeline(record=record, user=request.user),
            "form": form,
            "rating": rating,
            "rating_form": RatingForm(initial={"score": rating.score} if rating else None),
            "can_rate": record.status == RequestStatus.CLOSED,
            "can_cancel": record.is_open,
            "cancel_form": CancelForm(),
        },
    )


@portal_view
@require_POST
def request_cancel(request, number):
    record = _my_request_or_404(request, number)
    try:
        catalogue_services.request_cancel(
            request_id=record.pk, actor=request.user, reason=request.POST.get("reason", "")
        )
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("%(number)s is cancelled.") % {"number": record.number})
    return redirect("portal:request", number=number)


@portal_view
@require_POST
def rate(request, number):
    """Rate one of the person's own finished requests or resolved/closed incidents (any record
    type the registry shows in the portal: its number prefix says which)."""
    try:
        record_type, record = my_record(user=request.user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None
    back = record_type.portal_url_name
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
        return redirect(back, number=number)
    try:
        catalogue_services.rate(
            record=record, actor=request.user, score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )  # fmt: skip
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect(back, number=number)


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
    suggestions = article_search(form["title"].value() or "")
    return render(request, "portal/report.html", {"form": form, "articles": suggestions})


@portal_view
def suggest(request):
    """The articles matching what the person is typing (an htmx fragment)."""
    text = (request.GET.get("title") or request.GET.get("q") or "").strip()
    articles = article_search(text)
    deflection_id = request.GET.get("deflection")
    if articles and deflection_id and deflection_id.isdigit():
        portal_services.deflection_shown(
            deflection_id=int(deflection_id), user=request.user, query=text, articles=articles
        )
    return render(
        request,
        "portal/_suggestions.html",
        {"articles": articles, "deflection": deflection_id or ""},
    )


@portal_view
def article(request, pk):
    item = get_object_or_404(published(), pk=pk)
    Article.objects.filter(pk=item.pk).update(views=F("views") + 1)
    return render(
        request, "portal/article.html", {"article": item, "deflection": request.GET.get("d", "")}
    )


@portal_view
@require_POST
def article_solved(request, pk):
    item = get_object_or_404(published(), pk=pk)
    deflection = request.POST.get("deflection", "")
    portal_services.deflection_solved(
        deflection_id=int(deflection) if deflection.isdigit() else None,
        user=request.user,
        article=item,
    )
    messages.success(request, _("Glad it helped. Nothing was logged."))
    return redirect("portal:home")


# --- Incidents ----------------------------------------------------------------------------------


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
    rating = rating_of(record)
    return render(
        request,
        "portal/incident.html",
        {
            "incident": record,
            "timeline": record_timeline(record=record, user=request.user),
            "form": form,
            "can_reopen": record.status == IncidentStatus.RESOLVED,
            "can_rate": record.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
            "rating": rating,
            "rating_form": RatingForm(initial={"score": rating.score} if rating else None),
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
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Thank you for confirming. %(number)s is closed.")
                         % {"number": record.number})  # fmt: skip
    return redirect("portal:incident", number=number)


# --- Approvals ----------------------------------------------------------------------------------


@portal_view
def approvals(request):
    return render(
        request,
        "portal/approvals.html",
        {"approvals": approvals_waiting_for(request.user), "form": DecisionForm()},
    )


def _decide(request, approval, *, via_link: bool):
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    catalogue_services.approval_decide(
        approval_id=approval.pk,
        actor=approval.approver,
        approve=approve,
        comment=form.cleaned_data.get("comment", ""),
        via_link=via_link,
    )
    return approve


@portal_view
@require_POST
def decide(request, pk):
    approval = get_object_or_404(Approval, pk=pk, approver=request.user)
    try:
        approved = _decide(request, approval, via_link=False)
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        number = approval.request.number
        messages.success(
            request,
            (_("You approved %(number)s.") if approved else _("You rejected %(number)s."))
            % {"number": number},
        )
    return redirect("portal:approvals")


def decide_by_link(request, token):
    """The signed link of the approver's e-mail: no sign-in needed, works once, expires. A GET
    only shows the request (mail scanners follow links); the decision is a POST."""
    try:
        approval = approval_from_token(token)
    except signing.SignatureExpired:
        return render(request, "portal/decide_link.html", {"problem": "expired"}, status=410)
    except signing.BadSignature:
        return render(request, "portal/decide_link.html", {"problem": "invalid"}, status=404)
    already = approval.decision != Decision.PENDING
    status = 409 if request.method == "POST" and already else 200
    if request.method == "POST" and not already:
        try:
            approved = _decide(request, approval, via_link=True)
        except (ApplicationError, ValidationError) as error:
            messages.error(request, _error_text(error))
            status = 400
        else:
            approval.refresh_from_db()
            messages.success(
                request,
                _("Your approval is recorded.") if approved else _("Your rejection is recorded."),
            )
    return render(
        request,
        "portal/decide_link.html",
        {"approval": approval, "req": approval.request, "form": DecisionForm(),
         "done": approval.decision != Decision.PENDING, "already": already},
        status=status,
    )  # fmt: skip
