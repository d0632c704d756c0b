"""The self-service portal's own pages: home, search, knowledge articles (and the deflection
log), the person's records of every type with a generic record page and rating, and deciding
approvals (in the portal or from the signed e-mail link).

Each record type's own pages (reporting an incident, ordering, one incident or request) live in
its app and join the portal's URLs through the registry (`RecordType.portal`, see portal/urls.py)."""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from knowledge import services as knowledge_services
from knowledge.models import Article
from knowledge.selectors import article_search, readable_by
from knowledge.text import render_markdown
from portal import services as portal_services
from portal.forms import DecisionForm
from portal.selectors import (
    my_records,
    portal_actions,
    portal_panels,
    service_desk_contact,
)
from servicedesk.approvals import services as approval_services
from servicedesk.approvals.links import approval_from_token
from servicedesk.approvals.selectors import (
    approval_get,
    approval_summary_template,
    approvals_waiting_for,
)
from servicedesk.exceptions import ApplicationError
from servicedesk.portal import (
    RatingForm,
    error_text,
    portal_view,
    rating_context,
    requester_record,
)
from servicedesk.selectors import record_timeline
from servicedesk.services import record_rate

_error_text = error_text


# --- Home and search ----------------------------------------------------------------------------


@portal_view
def home(request):
    """A search box, what each record type puts there (the most-used services, what the person
    has open), approvals waiting."""
    return render(
        request,
        "portal/home.html",
        {
            "desk": service_desk_contact(),
            "actions": portal_actions(),
            "panels": portal_panels(request, "home"),
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
            "panels": portal_panels(request, "search", q=text) if text else [],
            "articles": article_search(text, user=request.user, limit=10),
        },
    )


# --- My records, of every type the portal shows -------------------------------------------------


@portal_view
def records(request):
    show = request.GET.get("show", "open")
    rows = my_records(user=request.user, open_only=show == "open", limit=100)
    return render(request, "portal/records.html", {"records": rows, "show": show})


def _mine_or_404(request, number):
    try:
        return requester_record(user=request.user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


@portal_view
def record(request, number):
    """One of the person's records, of a type that has no portal page of its own: what it is,
    its status and its public history (a type with its own page is sent there)."""
    record_type, item = _mine_or_404(request, number)
    if record_type.portal_url_name:
        return redirect(record_type.portal_url_name, number=item.number)
    return render(
        request,
        "portal/record.html",
        {
            "record": item,
            "record_type": record_type,
            "timeline": record_timeline(record=item, user=request.user),
            **rating_context(item),
        },
    )


@portal_view
@require_POST
def rate(request, number):
    """Rate one of the person's own resolved records, of any type the portal shows (its number's
    prefix says which, servicedesk.registry)."""
    record_type, item = _mine_or_404(request, number)
    back = record_type.portal_page
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
        return redirect(back, number=number)
    try:
        record_rate(
            record=item, actor=request.user, score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )  # fmt: skip
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect(back, number=number)


# --- Knowledge articles and deflection ----------------------------------------------------------


@portal_view
def suggest(request):
    """The articles matching what the person is typing (an htmx fragment)."""
    text = (request.GET.get("title") or request.GET.get("q") or "").strip()
    articles = article_search(text, user=request.user)
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
    """A published article of the reader's audience (any other is a 404), counted as a view,
    with "was this helpful?"."""
    item = get_object_or_404(readable_by(request.user), pk=pk)
    knowledge_services.article_viewed(article=item)
    vote = item.votes.filter(user=request.user).first()
    return render(
        request,
        "portal/article.html",
        {"article": item, "body": render_markdown(item.body), "vote": vote,
         "deflection": request.GET.get("d", "")},
    )  # fmt: skip


@portal_view
@require_POST
def article_vote(request, pk):
    """ "Was this helpful?": yes or no, once per person (a second answer replaces the first)."""
    try:
        knowledge_services.article_vote(
            actor=request.user, article_id=pk, helpful=request.POST.get("helpful") == "yes"
        )
    except Article.DoesNotExist:
        raise Http404(_("No article with this number.")) from None
    messages.success(request, _("Thank you for telling us."))
    return redirect("portal:article", pk=pk)


@portal_view
@require_POST
def article_solved(request, pk):
    item = get_object_or_404(readable_by(request.user), pk=pk)
    deflection = request.POST.get("deflection", "")
    portal_services.deflection_solved(
        deflection_id=int(deflection) if deflection.isdigit() else None,
        user=request.user,
        article=item,
    )
    messages.success(request, _("Glad it helped. Nothing was logged."))
    return redirect("portal:home")


# --- Approvals ----------------------------------------------------------------------------------
# Generic: the approvals of every record type (servicedesk.approvals), each shown with what its
# record type's summary template says the approver needs to decide.


@portal_view
def approvals(request):
    """My approvals: what waits for my decision, whatever the record type."""
    return render(
        request,
        "portal/approvals.html",
        {"approvals": approvals_waiting_for(request.user), "form": DecisionForm()},
    )


def _decide(request, approval, *, via_link: bool):
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    approval_services.approval_decide(
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
    try:
        approval = approval_get(user=request.user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No approval of yours has this number.")) from None
    try:
        approved = _decide(request, approval, via_link=False)
    except (ApplicationError, PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        number = approval.record.number
        messages.success(
            request,
            (_("You approved %(number)s.") if approved else _("You rejected %(number)s."))
            % {"number": number},
        )
    return redirect("portal:approvals")


def decide_by_link(request, token):
    """The signed link of the approver's e-mail: no sign-in needed, works once, expires. A GET
    only shows the record (mail scanners follow links); the decision is a POST."""
    try:
        approval = approval_from_token(token)
    except signing.SignatureExpired:
        return render(request, "portal/decide_link.html", {"problem": "expired"}, status=410)
    except signing.BadSignature:
        return render(request, "portal/decide_link.html", {"problem": "invalid"}, status=404)
    already = not (approval.is_pending and approval.approval_set.is_pending)
    status = 409 if request.method == "POST" and already else 200
    if request.method == "POST" and not already:
        try:
            approved = _decide(request, approval, via_link=True)
        except (ApplicationError, ValidationError) as error:
            messages.error(request, _error_text(error))
            status = 400
        else:
            approval = approval_from_token(token)
            messages.success(
                request,
                _("Your approval is recorded.") if approved else _("Your rejection is recorded."),
            )
    return render(
        request,
        "portal/decide_link.html",
        {"approval": approval, "record": approval.record, "form": DecisionForm(),
         "summary_template": approval_summary_template(approval),
         "done": not approval.is_pending, "already": already},
        status=status,
    )  # fmt: skip
