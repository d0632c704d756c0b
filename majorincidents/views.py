"""The major-incident room (agents), the status pages (end users in the portal; anyone, when an
administrator made a service's page public) and the subscriptions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalogue.models import Service
from incidents.models import Incident
from majorincidents import selectors, services
from majorincidents.forms import AddressForm, ChildForm, PlanForm, UpdateForm
from majorincidents.models import StatusSubscription
from servicedesk.pages import REFUSALS, refusal_status, run_action, show_on_form, staff_view


def _room_incident(request, number: str) -> Incident:
    try:
        return selectors.room_incident(user=request.user, number=number)
    except Incident.DoesNotExist:
        raise Http404 from None


@staff_view
def major_list(request):
    return render(
        request,
        "majorincidents/list.html",
        {"incidents": selectors.current_major_incidents(user=request.user)},
    )


def _render_room(
    request, incident, *, plan_form=None, update_form=None, child_form=None, status=200
):
    context = selectors.room(user=request.user, incident=incident)
    plan = context["plan"]
    if plan_form is None:
        initial = {"update_interval": 60}
        if plan is not None:
            initial = {
                "update_interval": plan.update_interval,
                "people": list(plan.stakeholder_people.all()),
                "groups": list(plan.stakeholder_groups.all()),
                "addresses": "\n".join(plan.stakeholder_addresses),
                "template_affected": plan.template_affected,
                "template_stakeholders": plan.template_stakeholders,
                "template_public": plan.template_public,
            }
        plan_form = PlanForm(initial=initial)
    if update_form is None:
        update_form = UpdateForm(
            initial={"health": context["health"], "text": plan.template_public if plan else ""}
        )
    context |= {
        "plan_form": plan_form,
        "update_form": update_form,
        "child_form": child_form or ChildForm(),
    }
    return render(request, "majorincidents/room.html", context, status=status)


@staff_view
def room(request, number):
    return _render_room(request, _room_incident(request, number))


@require_POST
@staff_view
def plan_save(request, number):
    incident = _room_incident(request, number)
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _render_room(request, incident, plan_form=form, status=400)
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.plan_save(
            incident=incident,
            actor=request.user,
            update_interval=data["update_interval"],
            people=list(data["people"]),
            groups=list(data["groups"]),
            addresses=form.address_list(),
            template_affected=data["template_affected"],
            template_stakeholders=data["template_stakeholders"],
            template_public=data["template_public"],
        ),
        success=_("Communications plan saved."),
        done=lambda: redirect("majorincidents:room", incident.number),
        form=form,
        again=lambda status: _render_room(request, incident, plan_form=form, status=status),
    )


@require_POST
@staff_view
def update_post(request, number):
    incident = _room_incident(request, number)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return _render_room(request, incident, update_form=form, status=400)
    try:
        update = services.update_post(incident=incident, actor=request.user, **form.cleaned_data)
    except REFUSALS as error:
        show_on_form(form, error)
        return _render_room(request, incident, update_form=form, status=refusal_status(error))
    messages.success(
        request,
        _("Update posted: %(count)d e-mails on their way; the service is now “%(status)s”.")
        % {"count": update.recipients, "status": update.get_health_display()},
    )
    return redirect("majorincidents:room", incident.number)


@require_POST
@staff_view
def child_add(request, number):
    incident = _room_incident(request, number)
    form = ChildForm(request.POST)
    if not form.is_valid():
        return _render_room(request, incident, child_form=form, status=400)
    return run_action(
        request,
        lambda: services.child_link(
            incident=incident, actor=request.user, number=form.cleaned_data["number"]
        ),
        success=_("%(number)s is now a child of %(parent)s.")
        % {"number": form.cleaned_data["number"].strip().upper(), "parent": incident.number},
        done=lambda: redirect("majorincidents:room", incident.number),
        form=form,
        again=lambda status: _render_room(request, incident, child_form=form, status=status),
    )


# --- Status pages -------------------------------------------------------------------------------


@login_required
def overview(request):
    template = "majorincidents/overview.html"
    return render(request, template, {"rows": selectors.service_overview(user=request.user)})


@login_required
def service_page(request, pk):
    service = get_object_or_404(selectors.status_services(user=request.user), pk=pk)
    context = selectors.status_page(service=service)
    context["subscription"] = selectors.subscription_of(user=request.user, service=service)
    return render(request, "majorincidents/status.html", context)


def public_page(request, pk):
    """Served without signing in, only for a service an administrator made public."""
    try:
        service = selectors.public_page_service(pk=pk)
    except Service.DoesNotExist:
        raise Http404 from None
    context = selectors.status_page(service=service)
    context |= {"public": True, "address_form": AddressForm()}
    return render(request, "majorincidents/public.html", context)


@require_POST
def public_subscribe(request, pk):
    try:
        service = selectors.public_page_service(pk=pk)
    except Service.DoesNotExist:
        raise Http404 from None
    form = AddressForm(request.POST)
    if form.is_valid():
        services.subscribe_address(service=service, email=form.cleaned_data["email"])
        messages.success(request, _("Check your mailbox: follow the link we sent to confirm."))
        return redirect("majorincidents:public", service.pk)
    context = selectors.status_page(service=service) | {"public": True, "address_form": form}
    return render(request, "majorincidents/public.html", context, status=400)


@require_POST
@login_required
def subscribe(request, pk):
    service = get_object_or_404(selectors.status_services(user=request.user), pk=pk)
    if request.POST.get("stop"):
        services.unsubscribe(service=service, user=request.user)
        messages.success(request, _("You no longer follow %(name)s.") % {"name": service.name})
    else:
        services.subscribe(service=service, user=request.user)
        messages.success(
            request, _("You will hear of %(name)s's status by e-mail.") % {"name": service.name}
        )
    return redirect("majorincidents:page", service.pk)


def confirm(request, token):
    """The link mailed to a public address: a GET only shows the button (a mail scanner that
    follows links confirms nothing), the POST confirms."""
    row = selectors.subscription_by_token(token, address=True)
    if row is None:
        raise Http404
    if request.method != "POST":
        return render(request, "majorincidents/confirm.html", {"service": row.service})
    try:
        services.subscription_confirm(token=token)
    except StatusSubscription.DoesNotExist:  # cancelled meanwhile
        raise Http404 from None
    messages.success(
        request, _("Confirmed: you will hear of %(name)s's status.") % {"name": row.service.name}
    )
    return redirect("majorincidents:public", row.service_id)


def cancel(request, token):
    """The link in every subscriber's e-mail; a GET only shows the button, the POST cancels."""
    row = selectors.subscription_by_token(token)
    if row is None:
        raise Http404
    if request.method == "POST":
        services.subscription_cancel(token=token)
        messages.success(
            request, _("You will no longer hear of %(name)s's status.") % {"name": row.service.name}
        )
        return render(request, "majorincidents/cancelled.html", {"service": row.service})
    return render(request, "majorincidents/cancel.html", {"service": row.service, "token": token})
