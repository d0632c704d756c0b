"""What every record type's agent pages share: who may open them, the version a form posted,
and how a page runs a service call and shows its refusal.

    @staff_view(work=INCIDENT.work_permission)
    def take(request, number):
        incident = ...
        return run_action(request, lambda: services.incident_take(...),
                          success=_("%(number)s is now yours.") % ..., done=back_to_the_page)

Pages stay thin: forms check shapes, services do the work and refuse with a message
(`ValidationError`, `ApplicationError` such as a stale version or a refused transition, or
`PermissionDenied`), which the page shows, keeping what the person typed when a form is given.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.roles import USE_WORKSPACE
from servicedesk import registry
from servicedesk.exceptions import ApplicationError
from servicedesk.forms import apply_service_errors
from servicedesk.selectors import record_by_number

# What a service refuses with: shown to the person, never a 500.
REFUSALS = (ValidationError, ApplicationError, PermissionDenied)


def staff_view(view: Callable | None = None, *, work: str | None = None) -> Callable:
    """Signed in, in the agent workspace, and (with `work`) holding the record type's work
    permission; else the sign-in page or 403. Used bare (`@staff_view`) or with `work=`."""

    def decorate(function: Callable) -> Callable:
        if work:
            function = permission_required(work, raise_exception=True)(function)
        function = permission_required(USE_WORKSPACE, raise_exception=True)(function)
        return login_required(function)

    return decorate(view) if view is not None else decorate


def posted_version(request: HttpRequest) -> int | None:
    """The record version a page's form posted (`version`), or None when absent or not a
    number: the service then applies its own rule (a take refuses somebody else's record)."""
    version = request.POST.get("version", "")
    return int(version) if version.isdigit() and len(version) <= 18 else None


def refusal_text(error: Exception) -> str:
    """A service's refusal as one sentence to show."""
    return " ".join(getattr(error, "messages", None) or [str(getattr(error, "message", error))])


def flash_refusal(request: HttpRequest, error: Exception) -> None:
    messages.error(request, refusal_text(error))


def refusal_status(error: Exception) -> int:
    """The HTTP status of a page that shows a refusal again: 400 for bad input, else the
    error's own (409 for a stale version or a refused transition, 403)."""
    if isinstance(error, ValidationError):
        return 400
    return getattr(error, "status_code", 403 if isinstance(error, PermissionDenied) else 400)


def show_on_form(form, error: Exception) -> None:
    """A refusal beside the form's fields (or at its top), keeping what was typed."""
    if isinstance(error, ValidationError):
        apply_service_errors(form, error)
    else:
        form.add_error(None, refusal_text(error))


def run_action(
    request: HttpRequest,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str | None],
    done: Callable[[], HttpResponse],
    back: Callable[[], HttpResponse] | None = None,
    form=None,
    again: Callable[[int], HttpResponse] | None = None,
) -> HttpResponse:
    """Run a service call for a page.

    Done: `success` is flashed (or, when it is a function, `success(result)` with what the
    action returned, nothing when that gives None) and `done()` answers (a redirect to the
    record). Refused: with a `form` and `again(status)` (the page rendered again with that
    form), the refusal shows on the form and the page answers with `refusal_status`; otherwise
    it is flashed and `back()` answers (by default `done()`). A PermissionDenied is always
    flashed. A check of the page's own (nothing chosen) raises ValidationError in the action.
    """
    try:
        result = action()
    except REFUSALS as error:
        if form is not None and again is not None and not isinstance(error, PermissionDenied):
            show_on_form(form, error)
            return again(refusal_status(error))
        flash_refusal(request, error)
        return (back or done)()
    text = success(result) if callable(success) else success
    if text is not None:
        messages.success(request, text)
    return done()


def record_or_404(request: HttpRequest, number: str) -> Any:
    """The record of any registered type with this number that the signed-in person may see
    (`selectors.record_by_number`), else a 404 naming nothing about it."""
    try:
        return record_by_number(user=request.user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


def record_page(record, *, portal: bool = False) -> HttpResponseRedirect:
    """A redirect to the record's agent page (with `portal`, to its page in the portal)."""
    record_type = registry.for_model(type(record))
    if record_type is None:  # the lookups above only find registered types
        raise Http404(record.number)
    page = record_type.portal_page if portal else record_type.detail_url_name
    return redirect(page, record.number)


def record_action(
    request: HttpRequest,
    record,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str | None],
    portal: bool = False,
) -> HttpResponse:
    """`run_action` for a card on a record's page: done or refused, back to the record's page
    (`record_page`), with the outcome flashed."""
    return run_action(
        request, action, success=success, done=lambda: record_page(record, portal=portal)
    )


def assign_from_form(
    request: HttpRequest,
    record,
    form,
    *,
    assign: Callable[..., Any],
    done: Callable[[], HttpResponse],
    again: Callable[[int], HttpResponse],
) -> HttpResponse:
    """The assignment box's post (`servicedesk.forms.AssignForm`) on any record page:
    `assign(support_group=, assignee=, version=)` is the record type's service; a bad form or a
    refusal shows the page again (`again(status)`) with the form."""
    if not form.is_valid():
        return again(400)
    data = form.cleaned_data
    return run_action(
        request,
        lambda: assign(
            support_group=data["support_group"], assignee=data["assignee"], version=data["version"]
        ),
        success=_("%(number)s assigned to %(owner)s.")
        % {"number": record.number, "owner": data["assignee"] or data["support_group"]},
        done=done,
        form=form,
        again=again,
    )


# Comment extras: fields an app above the kernel adds to a record page's reply and work-note box
# (the `comment_box` slot renders them), checked with the comment form and saved with the
# comment it comes with, in one transaction: a refusal of either leaves nothing written.
#
#     register_comment_extra("timekeeping.forms.CommentTimeForm")
#
# The form class is built as `Form(data, record=, user=)`; `save(comment=, record=, actor=)`
# writes its rows (or nothing when its fields were left empty), raising ValidationError to
# refuse. The record pages' comment views use `comment_extras(request, record)`.
COMMENT_EXTRAS: list[str] = []


def register_comment_extra(form: str) -> None:
    """Add a form (its dotted path) to every record type's reply and work-note box (once)."""
    if form not in COMMENT_EXTRAS:
        COMMENT_EXTRAS.append(form)


class CommentExtras:
    """The extra forms of one posted comment box, bound to the request's data."""

    def __init__(self, request: HttpRequest, record) -> None:
        from django.utils.module_loading import import_string

        data = request.POST if request.method == "POST" else None
        self.record = record
        self.actor = request.user
        self.forms = [
            import_string(path)(data, record=record, user=request.user) for path in COMMENT_EXTRAS
        ]
        # The comment_box slot's panels show these bound forms (and their errors) again.
        request.comment_extras = self  # type: ignore[attr-defined]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.forms])  # every form checked

    def form_of(self, form_class: type) -> Any:
        return next((form for form in self.forms if isinstance(form, form_class)), None)

    def saving(self, write_comment: Callable[[], Any]) -> Callable[[], Any]:
        """`write_comment` (the record type's comment service, returning the comment) and the
        extras' rows, as one transaction."""

        def run():
            with transaction.atomic():
                comment = write_comment()
                for form in self.forms:
                    form.save(comment=comment, record=self.record, actor=self.actor)
            return comment

        return run


def comment_extras(request: HttpRequest, record) -> CommentExtras:
    return CommentExtras(request, record)


def comment_extra_form(request: HttpRequest, form_class: type, *, record) -> Any:
    """The extra form a comment_box panel shows: the one this request posted (with its errors)
    or a new one."""
    extras = getattr(request, "comment_extras", None)
    form = extras.form_of(form_class) if extras is not None else None
    return form if form is not None else form_class(None, record=record, user=request.user)
