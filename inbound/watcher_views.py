"""The record page's watchers card: add a person (the requester's colleagues are offered
first) or an address, remove one. Any record type, through `inbound.services`."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from inbound import selectors, services
from servicedesk import registry
from servicedesk.pages import REFUSALS, flash_refusal, staff_view
from servicedesk.portal import portal_view, requester_record
from servicedesk.selectors import record_by_number


def _record(request, number: str):
    try:
        return record_by_number(user=request.user, number=number)
    except ObjectDoesNotExist as error:
        raise Http404(number) from error


def _back(record):
    record_type = registry.for_model(type(record))
    if record_type is None:  # record_by_number only finds registered types
        raise Http404(record.number)
    return redirect(record_type.detail_url_name, record.number)


@staff_view
@require_GET
def panel(request, number: str):
    """The record page's "Watchers" card, fetched after the page."""
    record = _record(request, number)
    return render(request, "inbound/_watchers_card.html", selectors.watchers_card_context(record))


@staff_view
@require_POST
def watcher_add(request, number: str):
    record = _record(request, number)
    person = None
    chosen = request.POST.get("user", "")
    if chosen.isdigit():
        person = User.objects.filter(pk=int(chosen), is_active=True).first()
    address = request.POST.get("address", "")
    if person is None and not address.strip():
        messages.error(request, _("Choose a colleague or type an address."))
        return _back(record)
    try:
        watcher = services.watcher_add(
            record=record, actor=request.user, user=person, address=address
        )
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        messages.success(
            request, _("%(address)s now gets the public updates of %(number)s.")
            % {"address": watcher.address, "number": record.number},
        )  # fmt: skip
    return _back(record)


@staff_view
@require_POST
def watcher_remove(request, number: str):
    record = _record(request, number)
    pk = request.POST.get("watcher", "")
    try:
        services.watcher_remove(
            record=record, actor=request.user, watcher_id=int(pk) if pk.isdigit() else 0
        )
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Watcher removed."))
    return _back(record)


# The requester's own record in the portal: they add a colleague of their organisation.


def _own_record(request, number: str):
    try:
        return requester_record(user=request.user, number=number)[1]
    except ObjectDoesNotExist as error:
        raise Http404(number) from error


def _portal_back(record):
    record_type = registry.for_model(type(record))
    if record_type is None:  # requester_record only finds registered types
        raise Http404(record.number)
    return redirect(record_type.portal_page, record.number)


@portal_view
@require_POST
def portal_watcher_add(request, number: str):
    record = _own_record(request, number)
    chosen = request.POST.get("user", "")
    offered = {person.pk: person for person in selectors.watcher_candidates(record)}
    person = offered.get(int(chosen)) if chosen.isdigit() else None
    if person is None:
        messages.error(request, _("Choose a colleague."))
        return _portal_back(record)
    try:
        services.watcher_add(record=record, actor=request.user, user=person)
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("%(name)s now gets the updates.") % {"name": person.full_name})
    return _portal_back(record)


@portal_view
@require_POST
def portal_watcher_remove(request, number: str):
    record = _own_record(request, number)
    pk = request.POST.get("watcher", "")
    try:
        services.watcher_remove(
            record=record, actor=request.user, watcher_id=int(pk) if pk.isdigit() else 0
        )
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Watcher removed."))
    return _portal_back(record)
