"""The handover report: per desk and (its local) day, a staff page and a CSV."""

from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from followsun import selectors
from followsun.forms import HandoverReportForm
from servicedesk.csvfiles import csv_lines
from servicedesk.pages import staff_view

CSV_HEADER = [
    "desk", "closed_at", "to_desk", "number", "title", "status", "priority", "previous_assignee",
]  # fmt: skip


def _report(request):
    """The form (desk and day, today in the first desk's time zone by default) and what it
    chose; bad input gives the form's errors and no rows."""
    desks = list(selectors.desks_for_report())
    data = request.GET.copy()
    if desks and not data.get("desk"):
        data["desk"] = str(desks[0].pk)
    if desks and not data.get("day"):
        chosen = next((d for d in desks if str(d.pk) == data["desk"]), desks[0])
        zone = ZoneInfo(chosen.calendar.time_zone)
        data["day"] = timezone.localdate(timezone=zone).isoformat()
    form = HandoverReportForm(data)
    if not desks or not form.is_valid():
        return form, desks, []
    desk = form.cleaned_data["desk"]
    return form, desks, selectors.handover_report(desk=desk, day=form.cleaned_data["day"])


@staff_view
def handover_report(request):
    form, desks, handovers = _report(request)
    return render(
        request,
        "followsun/handover_report.html",
        {"form": form, "desks": desks, "handovers": handovers, "query": request.GET.urlencode()},
        status=400 if form.is_bound and form.errors and desks else 200,
    )


@staff_view
def handover_report_csv(request):
    form, _desks, handovers = _report(request)

    def rows():
        yield CSV_HEADER
        yield from selectors.report_rows(handovers)

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="handovers.csv"'
    return response
