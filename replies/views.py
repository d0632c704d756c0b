"""Pages and endpoints: the reply box's canned responses, tags and macros on a record page and
from the queues' bulk bar, and the agents' pages of canned responses and of macros."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from replies import selectors, services
from replies.forms import CannedResponseForm, MacroForm, TagForm
from servicedesk import registry
from servicedesk.pages import (
    REFUSALS,
    flash_refusal,
    posted_version,
    record_action,
    record_or_404,
    record_page,
    refusal_text,
    staff_view,
)


@staff_view
@require_GET
def rendered(request, number: str):
    """The reply box's picker: every response this agent may use, filled in for the record."""
    record = record_or_404(request, number)
    rows = selectors.rendered_responses(user=request.user, record=record)
    return JsonResponse({"responses": rows})


@staff_view
@require_GET
def panel(request, number: str):
    """The record page's "Tags and macros" card, fetched after the page."""
    record = record_or_404(request, number)
    context = selectors.tags_card_context(user=request.user, record=record)
    return render(request, "replies/_tags_card.html", context)


@staff_view
@require_POST
def tag(request, number: str):
    record = record_or_404(request, number)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type a tag."))
        return record_page(record)
    try:
        names = services.parse_tags(form.cleaned_data["tags"])
        added = services.tags_add(record=record, actor=request.user, names=names)
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        if added:
            messages.success(request, _("Tagged: %(tags)s.") % {"tags": ", ".join(added)})
        else:
            messages.info(request, _("The record already has these tags."))
    return record_page(record)


@staff_view
@require_POST
def untag(request, number: str):
    record = record_or_404(request, number)
    name = request.POST.get("tag", "")
    return record_action(
        request, record,
        lambda: services.tag_remove(record=record, actor=request.user, name=name),
        success=lambda removed: _("Tag “%(tag)s” removed.") % {"tag": name} if removed else None,
    )  # fmt: skip


def _macro(request):
    pk = request.POST.get("macro", "")
    if not pk.isdigit():
        return None
    try:
        return selectors.macro_get(user=request.user, pk=int(pk))
    except ObjectDoesNotExist:
        return None


@staff_view
@require_POST
def apply(request, number: str):
    record = record_or_404(request, number)
    macro = _macro(request)
    if macro is None:
        messages.error(request, _("Choose a macro."))
        return record_page(record)
    try:
        services.macro_apply(
            macro=macro, model=type(record), record_id=record.pk, actor=request.user,
            version=posted_version(request),
        )  # fmt: skip
    except REFUSALS as error:
        messages.error(
            request, _("“%(macro)s” was not applied: %(reason)s")
            % {"macro": macro.name, "reason": refusal_text(error)},
        )  # fmt: skip
    else:
        messages.success(
            request, _("“%(macro)s” applied to %(number)s.")
            % {"macro": macro.name, "number": record.number},
        )  # fmt: skip
    return record_page(record)


def _back(request) -> str:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("workspace")
    return back


def _bulk_ids(request, record_type) -> list[int]:
    raw = request.POST.getlist("records") or request.POST.getlist(f"{record_type.key}s")
    ids = [int(value) for value in raw if value.isdigit() and len(value) <= 18]
    visible = record_type.visible(request.user).filter(pk__in=ids)
    return list(visible.values_list("pk", flat=True))


def _report(request, result, what: str) -> None:
    if result.done:
        messages.success(
            request, _("%(what)s done for %(count)d record(s): %(numbers)s")
            % {"what": what, "count": len(result.done), "numbers": ", ".join(result.done)},
        )  # fmt: skip
    for number, reason in result.failed:
        messages.error(request, f"{number}: {reason}")


@staff_view
@require_POST
def bulk(request, key: str):
    """The bulk bar's "Apply macro" and "Add tags" (`what` = macro or tag)."""
    try:
        record_type = registry.get(key)
    except KeyError as error:
        raise Http404(key) from error
    back = _back(request)
    ids = _bulk_ids(request, record_type)
    if not ids:
        messages.error(request, _("Select at least one record."))
        return redirect(back)
    model = record_type.model_class
    try:
        if request.POST.get("what") == "tag":
            names = services.parse_tags(request.POST.get("bulk_tags", ""))
            if not names:
                raise ValidationError({"tags": [_("Type a tag.")]})
            result = services.tags_bulk_add(
                model=model, record_ids=ids, actor=request.user, names=names
            )
            _report(request, result, _("Tagging"))
        else:
            macro = _macro(request)
            if macro is None:
                raise ValidationError({"macro": [_("Choose a macro.")]})
            result = services.macros_bulk_apply(
                macro=macro, model=model, record_ids=ids, actor=request.user
            )
            _report(request, result, macro.name)
    except REFUSALS as error:
        flash_refusal(request, error)
    return redirect(back)


# The agents' pages of canned responses and of macros: a list with a form to add one, a page to
# change one, a button to delete one; the same steps for both.


def _show(form, error) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, refusal_text(error))


def _form_page(request, form, save, *, saved: str, back: str, template: str, context: dict):
    """Save a valid posted form (`save(form)` returns the item), then back to the list with
    `saved` said; else the page again with the form's errors (400)."""
    if request.method == "POST" and form.is_valid():
        try:
            item = save(form)
        except REFUSALS as error:
            _show(form, error)
        else:
            messages.success(request, saved % {"name": item.name})
            return redirect(back)
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, **context}, status=status)


def _managed_one(queryset, pk: int):
    try:
        return queryset.get(pk=pk)
    except ObjectDoesNotExist as error:
        raise Http404 from error


def _delete(request, item, delete, *, deleted: str, back: str):
    try:
        delete(actor=request.user, pk=item.pk)
    except REFUSALS as error:
        flash_refusal(request, error)
    else:
        messages.success(request, deleted % {"name": item.name})
    return redirect(back)


def _save_response(request, response_id=None):
    def save(form):
        return services.canned_response_save(
            actor=request.user, response_id=response_id, name=form.cleaned_data["name"],
            texts=form.texts(), support_group=form.cleaned_data["support_group"],
        )  # fmt: skip

    return save


@staff_view
def responses(request):
    """The agent's canned responses: their own and their groups'; a form to add one."""
    return _form_page(
        request, CannedResponseForm(request.POST or None, user=request.user),
        _save_response(request), saved=_("Canned response “%(name)s” saved."),
        back="replies:responses", template="replies/responses.html",
        context={"responses": selectors.responses_managed_by(request.user)},
    )  # fmt: skip


@staff_view
def response_edit(request, pk: int):
    response = _managed_one(selectors.responses_managed_by(request.user), pk)
    initial = {"name": response.name, "support_group": response.support_group}
    initial.update({f"text_{text.language}": text.body for text in response.texts.all()})
    return _form_page(
        request, CannedResponseForm(request.POST or None, user=request.user, initial=initial),
        _save_response(request, response.pk), saved=_("Canned response “%(name)s” saved."),
        back="replies:responses", template="replies/response_edit.html",
        context={"response": response},
    )  # fmt: skip


@staff_view
@require_POST
def response_delete(request, pk: int):
    response = _managed_one(selectors.responses_managed_by(request.user), pk)
    return _delete(
        request, response,
        lambda *, actor, pk: services.canned_response_delete(actor=actor, response_id=pk),
        deleted=_("Canned response “%(name)s” deleted."), back="replies:responses",
    )  # fmt: skip


def _save_macro(request, macro_id=None):
    def save(form):
        return services.macro_save(
            actor=request.user, macro_id=macro_id, name=form.cleaned_data["name"],
            support_group=form.cleaned_data["support_group"], **form.actions(),
        )  # fmt: skip

    return save


@staff_view
def macros(request):
    """The agent's macros: their own, their groups' and everyone's; a form to add one."""
    return _form_page(
        request, MacroForm(request.POST or None, user=request.user), _save_macro(request),
        saved=_("Macro “%(name)s” saved."), back="replies:macros",
        template="replies/macros.html",
        context={"macros": selectors.macros_listed(request.user)},
    )  # fmt: skip


@staff_view
def macro_edit(request, pk: int):
    macro = _managed_one(selectors.macros_managed_by(request.user), pk)
    form = MacroForm(request.POST or None, user=request.user, initial=MacroForm.initial_of(macro))
    return _form_page(
        request, form, _save_macro(request, macro.pk), saved=_("Macro “%(name)s” saved."),
        back="replies:macros", template="replies/macro_edit.html", context={"macro": macro},
    )  # fmt: skip


@staff_view
@require_POST
def macro_delete(request, pk: int):
    macro = _managed_one(selectors.macros_managed_by(request.user), pk)
    return _delete(
        request, macro,
        lambda *, actor, pk: services.macro_delete(actor=actor, macro_id=pk),
        deleted=_("Macro “%(name)s” deleted."), back="replies:macros",
    )  # fmt: skip
