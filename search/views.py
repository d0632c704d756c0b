"""The search page: one box over everything the person may see. Agents get it in the
workspace's layout, end users in the portal's (their own records' public text, articles)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.roles import can_see_internal
from search import selectors
from search.forms import SearchForm


@login_required
def search(request):
    form = SearchForm(request.GET or None, user=request.user)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        results = selectors.search(
            user=request.user, text=form.cleaned_data["q"], filters=form.filters()
        )
    staff = can_see_internal(request.user)
    template = "search/search.html" if staff else "search/portal_search.html"
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        template,
        {"form": form, "results": results, "q": request.GET.get("q", "")},
        status=status,
    )
