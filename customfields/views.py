"""The record page's custom-fields card posts here, for every record type."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customfields import selectors, services
from customfields.forms import CustomFieldsForm
from servicedesk import registry
from servicedesk.exceptions import ApplicationError
from servicedesk.pages import flash_refusal, staff_view


@staff_view
@require_POST
def edit(request, number):
    """Save the values of the card's form; a refusal is a message naming the field."""
    record_type = registry.for_number(number)
    if record_type is None:
        raise Http404(_("No record with this number."))
    record = record_type.visible(request.user).filter(number=number).first()
    if record is None:
        raise Http404(_("No record with this number."))
    if not record_type.work_permission or not request.user.has_perm(record_type.work_permission):
        raise PermissionDenied(_("Only service desk staff can do this."))
    page = reverse(record_type.detail_url_name, args=[record.number])
    fields = selectors.fields_of_record(record)
    form = CustomFieldsForm(request.POST, fields=fields, rows=selectors.values_of(record))
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect(page)
    try:
        changed = services.values_save(
            record=record, actor=request.user, values=form.values(), fields=fields
        )
    except ApplicationError as error:
        flash_refusal(request, error)
        return redirect(page)
    if changed:
        messages.success(request, _("%(number)s updated.") % {"number": record.number})
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect(page)
