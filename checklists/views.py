"""The record page's checklist actions: tick an item, add a checklist by hand (thin views over
`checklists.services`; the record must be one the person may see, else 404)."""

from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from checklists import services
from checklists.models import ChecklistItem, ChecklistTemplate
from checklists.selectors import record_card_context
from servicedesk.pages import record_or_404, run_action, staff_view


@staff_view()
def card(request, number):
    """The record page's Checklists card, loaded by its placeholder; empty when the record has
    none to show (the placeholder goes away)."""
    record = record_or_404(request, number)
    context = record_card_context(request.user, record)
    if context is None:
        return HttpResponse("")
    return render(request, "checklists/_record_checklists.html", context)


@staff_view()
@require_POST
def item_tick(request, number, item_id):
    record = record_or_404(request, number)
    item = ChecklistItem.objects.filter(
        pk=item_id,
        checklist__content_type=ContentType.objects.get_for_model(record),
        checklist__object_id=record.pk,
    ).first()
    if item is None:
        raise Http404(_("No such checklist item."))
    done = request.POST.get("done") == "1"
    message = _("Ticked: %(item)s.") if done else _("Unticked: %(item)s.")
    return run_action(
        request,
        lambda: services.checklist_item_tick(item_id=item.pk, actor=request.user, done=done),
        success=message % {"item": item.title},
        done=lambda: redirect(record.get_absolute_url() + "#checklists"),
    )


@staff_view()
@require_POST
def checklist_add(request, number):
    record = record_or_404(request, number)
    template = ChecklistTemplate.objects.filter(pk=request.POST.get("template") or 0).first()
    if template is None:
        raise Http404(_("No such checklist."))
    return run_action(
        request,
        lambda: services.checklist_add(record=record, template=template, actor=request.user),
        success=_("Checklist “%(name)s” added.") % {"name": template.name},
        done=lambda: redirect(record.get_absolute_url() + "#checklists"),
    )
