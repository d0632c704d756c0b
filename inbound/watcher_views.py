"""The record page's watchers card: add a person (the requester's colleagues are offered
first) or an address, remove one. Any record type, through `inbound.services`."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from inbound import selectors, services
from servicedesk.pages import record_action, record_or_404, staff_view
from servicedesk.portal import portal_view, requester_record_or_404


@staff_view
@require_GET
def panel(request, number: str):
    """The record page's "Watchers" card, fetched after the page."""
    record = record_or_404(request, number)
    return render(request, "inbound/_watchers_card.html", selectors.watchers_card_context(record))


def _add(request, record, *, person, address: str = "", refusal: str, success, portal=False):
    """Add the chosen person (or, from the agent page, a typed address); `refusal` when
    neither was given."""

    def add():
        if person is None and not address.strip():
            raise ValidationError(refusal)
        return services.watcher_add(record=record, actor=request.user, user=person, address=address)

    return record_action(request, record, add, success=success, portal=portal)


def _remove(request, record, *, portal=False):
    pk = request.POST.get("watcher", "")
    return record_action(
        request, record,
        lambda: services.watcher_remove(
            record=record, actor=request.user, watcher_id=int(pk) if pk.isdigit() else 0
        ),
        success=_("Watcher removed."), portal=portal,
    )  # fmt: skip


@staff_view
@require_POST
def watcher_add(request, number: str):
    record = record_or_404(request, number)
    chosen = request.POST.get("user", "")
    person = (
        User.objects.filter(pk=int(chosen), is_active=True).first() if chosen.isdigit() else None
    )
    return _add(
        request, record, person=person, address=request.POST.get("address", ""),
        refusal=_("Choose a colleague or type an address."),
        success=lambda watcher: _("%(address)s now gets the public updates of %(number)s.")
        % {"address": watcher.address, "number": record.number},
    )  # fmt: skip


@staff_view
@require_POST
def watcher_remove(request, number: str):
    return _remove(request, record_or_404(request, number))


# The requester's own record in the portal: they add a colleague of their organisation.


@portal_view
@require_POST
def portal_watcher_add(request, number: str):
    record = requester_record_or_404(user=request.user, number=number)
    chosen = request.POST.get("user", "")
    offered = {person.pk: person for person in selectors.watcher_candidates(record)}
    person = offered.get(int(chosen)) if chosen.isdigit() else None
    return _add(
        request, record, person=person, refusal=_("Choose a colleague."), portal=True,
        success=lambda watcher: _("%(name)s now gets the updates.") % {"name": person.full_name},
    )  # fmt: skip


@portal_view
@require_POST
def portal_watcher_remove(request, number: str):
    return _remove(request, requester_record_or_404(user=request.user, number=number), portal=True)
