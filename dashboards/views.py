"""Managers' pages: the SLA dashboard, the KPIs, the team overview and report subscriptions.

Every panel's numbers come from `dashboards.selectors`; the same function answers the page, its
JSON endpoint (charts) and its CSV export, so the three never disagree.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import VIEW_DASHBOARDS
from accounts.selectors import organisations_with_people, people_per_role, support_group_overview
from dashboards import facts, formatting, selectors
from dashboards.forms import SubscriptionForm
from dashboards.models import ReportSubscription
from dashboards.scope import ScopeForm
from servicedesk.csvfiles import csv_writer
from servicedesk.replicas import reads_from_replica

dashboard_view = permission_required(VIEW_DASHBOARDS, raise_exception=True)


def _scope(request):
    form = ScopeForm(request.GET or None)
    return form, form.scope()


def _page(request, template, panels_of, tab):
    form, scope = _scope(request)
    items = [{"panel": p, "table": formatting.table(p)} for p in panels_of(scope)]
    return render(
        request,
        template,
        {
            "form": form,
            "scope": scope,
            "panels": items,
            "by_key": {item["panel"].key: item for item in items},
            "querystring": scope.querystring(),
            "refreshed_at": facts.last_refresh(),
            "tab": tab,
            "period_end": scope.end - timedelta(seconds=1),
        },
    )


@login_required
@dashboard_view
@reads_from_replica
def home(request):
    """The SLA dashboard: compliance, its trend and breakdowns, breaches and what is at risk."""
    return _page(request, "dashboards/sla.html", selectors.sla_page, "sla")


@login_required
@dashboard_view
@reads_from_replica
def kpis(request):
    """The seed's KPIs with their definitions and targets."""
    return _page(request, "dashboards/kpis.html", selectors.kpi_page, "kpis")


@login_required
@dashboard_view
@reads_from_replica
def teams(request):
    """The teams, their staffing and the customers served."""
    return render(
        request,
        "dashboards/teams.html",
        {
            "groups": support_group_overview(),
            "roles": people_per_role(),
            "organisations": organisations_with_people(),
            "tab": "teams",
        },
    )


@login_required
@dashboard_view
@reads_from_replica
def panel_data(request, key):
    """One panel as JSON (the charts draw from it) or, with ?format=csv, as a CSV file."""
    function = selectors.PANELS.get(key)
    if function is None:
        raise Http404
    form = ScopeForm(request.GET or None)
    if request.GET and not form.is_valid():
        return JsonResponse(
            {"detail": _("The filters are not valid."), "errors": form.errors.get_json_data()},
            status=400,
        )
    scope = form.scope()
    panel = function(scope)
    if request.GET.get("format") == "csv":
        return _csv(panel, scope)
    data = formatting.as_json(panel)
    data["scope"] = scope.query()
    return JsonResponse(data)


def _csv(panel, scope):
    tz = timezone.get_current_timezone()
    first = timezone.localtime(scope.start, tz).date()
    last = timezone.localtime(scope.end, tz).date() - timedelta(days=1)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{panel.key}_{first}_{last}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read Persian and Chinese as UTF-8
    writer = csv_writer(response)
    columns = list(panel.columns)
    writer.writerow([str(column.label) for column in columns])
    for row in panel.rows:
        writer.writerow(
            ["" if row.get(c.key) is None else formatting.machine(row.get(c.key)) for c in columns]
        )
    return response


@login_required
@dashboard_view
def reports(request):
    """The e-mailed summaries this manager receives; subscribe with the current filters."""
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscription = form.save(commit=False)
        subscription.user = request.user
        subscription.save()
        messages.success(request, _("Subscribed. The first summary comes with the next period."))
        return redirect("dashboards:reports")
    return render(
        request,
        "dashboards/reports.html",
        {
            "form": form,
            "subscriptions": ReportSubscription.objects.filter(user=request.user).select_related(
                "service", "support_group", "organisation"
            ),
            "tab": "reports",
        },
    )


@login_required
@dashboard_view
@require_POST
def unsubscribe(request, pk):
    subscription = get_object_or_404(ReportSubscription, pk=pk, user=request.user)
    subscription.delete()
    messages.success(request, _("Unsubscribed."))
    return redirect("dashboards:reports")
