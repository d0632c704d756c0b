"""The catalogue's portal pages. A request is loaded through `requests_visible_to` (via
`servicedesk.portal.requester_records`), so another person's request is a 404 on every page and
action, GET or POST; services and items through `services_visible_to` and `orderable_items`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalogue import services as catalogue_services
from catalogue.forms import OrderForm
from catalogue.models import ServiceRequest
from catalogue.selectors import (
    catalogue_search,
    orderable_items,
    popular_services,
    services_visible_to,
)
from knowledge.selectors import readable_by
from servicedesk import registry
from servicedesk.exceptions import ApplicationError
from servicedesk.forms import apply_service_errors
from servicedesk.portal import (
    ReplyForm,
    error_text,
    portal_view,
    rating_context,
    requester_records,
)
from servicedesk.selectors import record_timeline


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel it?"), widget=forms.Textarea(attrs={"rows": 2})
    )


def my_requests(*, user):
    """The person's requests, newest first."""
    rows = requester_records(user=user, record_type=registry.get("request"))
    return rows.select_related("item")


# --- Blocks on the portal's own pages -----------------------------------------------------------


def popular_panel(request, **page) -> dict:
    """The home page's "Most-used services"."""
    return {"popular": popular_services(request.user)}


def recent_panel(request, **page) -> dict:
    """The home page's "Your recent requests"."""
    return {"requests": my_requests(user=request.user)[:5]}


def search_panel(request, *, q: str = "", **page) -> dict:
    """The search page's items to order and services matching the text."""
    if not q:
        return {"services": [], "items": []}
    return {
        "services": catalogue_search(request.user, q)[:20],
        "items": orderable_items(request.user).filter(name__icontains=q)[:20],
    }


# --- The catalogue and ordering -----------------------------------------------------------------


@portal_view
def catalogue(request):
    text = request.GET.get("q", "").strip()
    services_ = list(catalogue_search(request.user, text).prefetch_related("offerings"))
    items = orderable_items(request.user).filter(service__in=services_).order_by("name")
    by_service: dict[int, list] = {}
    for item in items:
        by_service.setdefault(item.service_id, []).append(item)
    for service in services_:
        service.orderable = by_service.get(service.pk, [])
    return render(request, "catalogue/portal/catalogue.html", {"services": services_, "q": text})


@portal_view
def service(request, pk):
    record = get_object_or_404(services_visible_to(request.user), pk=pk)
    return render(
        request,
        "catalogue/portal/service.html",
        {
            "service": record,
            "offerings": record.offerings.filter(is_active=True),
            "items": orderable_items(request.user).filter(service=record).order_by("name"),
            "articles": readable_by(request.user).filter(service=record)[:10],
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
    return render(request, "catalogue/portal/order.html", {"item": item, "form": form})


# --- One request --------------------------------------------------------------------------------


def _my_request_or_404(request, number) -> ServiceRequest:
    rows = requester_records(
        user=request.user, record_type=registry.get("request"), organisation=True
    )
    record = (
        rows.select_related("item", "service", "offering", "support_group")
        .filter(number=number)
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
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Your reply has been sent."))
            return redirect("portal:request", number=number)
    return render(
        request,
        "catalogue/portal/request.html",
        {
            "req": record,
            "approvals": record.approvals.select_related("approver"),
            "timeline": record_timeline(record=record, user=request.user),
            "form": form,
            "can_cancel": record.is_open,
            "cancel_form": CancelForm(),
            **rating_context(record),
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
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("%(number)s is cancelled.") % {"number": record.number})
    return redirect("portal:request", number=number)
