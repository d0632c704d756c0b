"""The knowledge pages of the agent workspace: the list, the editor (with a preview), an
article with its review actions, files, versions and timeline, the diff of two versions, and the
knowledge KPIs. Thin: `knowledge.services` writes, `knowledge.selectors` reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import VIEW_DASHBOARDS
from knowledge import services
from knowledge.choices import ARTICLE_WORKFLOW, ArticleStatus
from knowledge.forms import ArticleFileForm, ArticleForm, FromRecordForm, TransitionForm
from knowledge.kpis import knowledge_kpis
from knowledge.models import Article
from knowledge.selectors import (
    KNOWLEDGE_MANAGE,
    KNOWLEDGE_WRITE,
    article_get,
    article_list,
    article_versions,
    deflections_of,
    version_diff,
)
from knowledge.text import render_markdown
from servicedesk.pages import REFUSALS, run_action, show_on_form, staff_view
from servicedesk.paging import page_of
from servicedesk.selectors import record_timeline

ORDERING = ("-updated_at", "-id")
write_view = staff_view(work=KNOWLEDGE_WRITE)


def _article_or_404(request, pk: int) -> Article:
    try:
        return article_get(user=request.user, pk=pk)
    except Article.DoesNotExist:
        raise Http404(_("No article with this number.")) from None


@write_view
def article_list_view(request):
    """Articles by status (default: every one not retired), newest change first, keyset paged."""
    status = request.GET.get("status", "")
    rows = article_list(
        user=request.user, status=status, text=request.GET.get("q", ""),
        mine=request.GET.get("mine") == "1",
    )  # fmt: skip
    page = page_of(rows, ordering=ORDERING, cursor=request.GET.get("cursor", ""), size=50)
    return render(
        request,
        "knowledge/list.html",
        {"page": page, "articles": page.rows, "status": status, "statuses": ArticleStatus.choices,
         "q": request.GET.get("q", ""), "mine": request.GET.get("mine") == "1",
         "from_form": FromRecordForm()},
    )  # fmt: skip


@write_view
def article_create_view(request):
    """A new article, from scratch or (`?from=INC…`) from a resolved ticket or a known error."""
    number = (request.POST.get("source") or request.GET.get("from") or "").strip()
    source = None
    initial: dict = {}
    if number:
        try:
            draft = services.article_draft_from(actor=request.user, number=number)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("knowledge:list")
        source = draft.pop("source")
        initial = {**draft, "source": source.number}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"version", "source"}}
        try:
            article = services.article_create(actor=request.user, source=source, **data)
        except REFUSALS as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Draft saved. Submit it for review when it is ready."))
            return redirect("knowledge:detail", pk=article.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "knowledge/edit.html", {"form": form, "source": source, "article": None},
        status=status,
    )  # fmt: skip


@write_view
def article_edit_view(request, pk):
    article = _article_or_404(request, pk)
    form = ArticleForm(request.POST or None, instance=None, initial={
        **{name: getattr(article, name) for name in ("title", "summary", "body", "keywords",
                                                      "audience")},
        "service": article.service_id, "organisation": article.organisation_id,
        "version": article.version,
    })  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"version", "source"}}
        try:
            services.article_update(
                actor=request.user, article_id=article.pk,
                version=form.cleaned_data.get("version"), **data,
            )  # fmt: skip
        except REFUSALS as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("knowledge:detail", pk=article.pk)
    return render(
        request, "knowledge/edit.html", {"form": form, "article": article, "source": None},
        status=400 if form.is_bound else 200,
    )  # fmt: skip


@write_view
@require_POST
def article_preview_view(request):
    """The editor's preview (an htmx fragment): the Markdown rendered and sanitised."""
    return HttpResponse(render_markdown(request.POST.get("body", "")))


@write_view
def article_detail_view(request, pk):
    article = _article_or_404(request, pk)
    versions = list(article_versions(article))
    return render(
        request,
        "knowledge/detail.html",
        {"article": article, "body": render_markdown(article.body), "actions": services.article_moves(request.user, article),
         "versions": versions, "timeline": record_timeline(record=article, user=request.user),
         "deflected": deflections_of(article), "file_form": ArticleFileForm(),
         "editable": article.status in services.EDITABLE, "transition_form": TransitionForm()},
    )  # fmt: skip


@write_view
@require_POST
def article_transition_view(request, pk):
    article = _article_or_404(request, pk)
    form = TransitionForm(request.POST)
    back = lambda: redirect("knowledge:detail", pk=article.pk)  # noqa: E731
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the article."))
        return back()
    target = form.cleaned_data["target"]
    label = ARTICLE_WORKFLOW.labels.get(target, target)
    return run_action(
        request,
        lambda: services.article_transition(
            actor=request.user,
            article_id=article.pk,
            to=target,
            version=form.cleaned_data.get("version"),
            reason=form.cleaned_data.get("reason", ""),
        ),  # fmt: skip
        success=_("The article is now “%(status)s”.") % {"status": label},
        done=back,
    )


@write_view
@require_POST
def article_attach_view(request, pk):
    article = _article_or_404(request, pk)
    form = ArticleFileForm(request.POST, request.FILES)
    back = lambda: redirect("knowledge:detail", pk=article.pk)  # noqa: E731
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
        return back()
    return run_action(
        request,
        lambda: services.article_attach(
            actor=request.user, article_id=article.pk, file=form.cleaned_data["file"]
        ),
        success=_("File added. Show an image in the text with ![text](its link)."),
        done=back,
    )


@write_view
def article_diff_view(request, pk):
    """Two versions side by side as one unified diff, changes highlighted (`?a=1&b=3`; by default
    the latest against the one before)."""
    article = _article_or_404(request, pk)
    versions = {v.number: v for v in article_versions(article)}
    newest = max(versions)
    try:
        b = int(request.GET.get("b", newest))
        a = int(request.GET.get("a", b - 1))
        older, newer = versions[a], versions[b]
    except (KeyError, ValueError):
        raise Http404(_("No such version.")) from None
    return render(
        request,
        "knowledge/diff.html",
        {"article": article, "older": older, "newer": newer, "lines": version_diff(older, newer),
         "versions": sorted(versions)},
    )  # fmt: skip


@login_required
def kpis_view(request):
    """The knowledge KPIs: for knowledge managers and whoever reads the dashboards."""
    if not (request.user.has_perm(KNOWLEDGE_MANAGE) or request.user.has_perm(VIEW_DASHBOARDS)):
        raise PermissionDenied
    return render(request, "knowledge/kpis.html", {"kpis": knowledge_kpis(), "tab": "knowledge"})
