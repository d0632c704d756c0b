"""Time tracking's pages and panels: the reply box's time fields, the record page's card
(totals, timer, "Log time"), the managers' time dashboard and the chargeback report."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import VIEW_DASHBOARDS
from servicedesk.csvfiles import csv_writer
from servicedesk.pages import comment_extra_form, run_action, staff_view
from servicedesk.registry import for_model
from servicedesk.selectors import record_by_number
from timekeeping import selectors, services
from timekeeping.formatting import hours
from timekeeping.forms import (
    ChargebackForm,
    CommentTimeForm,
    LogTimeForm,
    PeriodForm,
    may_log_time,
)

dashboard_view = permission_required(VIEW_DASHBOARDS, raise_exception=True)


# Panels on pages other apps own.


def comment_box_context(request, *, record=None, **page):
    if record is None or not may_log_time(request.user, record):
        return None
    return {"time_form": comment_extra_form(request, CommentTimeForm, record=record)}


def record_panel_context(request, *, record=None, **page):
    if record is None or not may_log_time(request.user, record):
        return None
    return {
        "time_record": record,
        "time_totals": selectors.record_totals(record),
        "log_form": getattr(request, "log_time_form", None) or LogTimeForm(),
    }


def dashboard_tab_context(request, *, tab=None, **page):
    return {"time_tab": tab}


# Pages.


def _record_or_404(request, number):
    try:
        return record_by_number(user=request.user, number=number)
    except ObjectDoesNotExist:
        raise Http404(_("No record with this number.")) from None


def _record_page(record):
    record_type = for_model(type(record))
    return lambda: redirect(record_type.detail_url_name, number=record.number)


@staff_view
@require_POST
def log_time(request, number):
    """The record page's "Log time" form (and the timer's "Stop and log")."""
    record = _record_or_404(request, number)
    form = LogTimeForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(error_list)}"
            for name, error_list in form.errors.items()
        )
        messages.error(request, _("The time was not logged. %(errors)s") % {"errors": errors})
        return _record_page(record)()
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.time_entry_add(
            record=record,
            actor=request.user,
            minutes=data["minutes"],
            billable=data["billable"],
            worked_on=data["worked_on"],
            note=data["note"],
        ),
        success=_("%(minutes)s minutes logged on %(number)s.")
        % {"minutes": data["minutes"], "number": record.number},
        done=_record_page(record),
    )


def _period(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    if request.GET and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    if not request.GET:
        form = PeriodForm(initial={"start": today.replace(day=1), "end": today})
    return form, today.replace(day=1), today


@login_required
@dashboard_view
def dashboard(request):
    """Time per service, organisation, category, group and agent over a period."""
    form, start, end = _period(request)
    tables = [
        (key, label, selectors.time_by(key, start=start, end=end))
        for key, label in (
            ("service", _("Time per service")),
            ("organisation", _("Time per organisation")),
            ("category", _("Time per category")),
            ("support_group", _("Time per group")),
            ("agent", _("Time per agent")),
        )
    ]
    if request.GET.get("format") == "csv":
        response = _csv_response(f"time_{start}_{end}.csv")
        writer = csv_writer(response)
        writer.writerow([_("Breakdown"), _("Name"), _("Hours"), _("Billable hours"), _("Entries")])
        for key, _label, rows in tables:
            for row in rows:
                writer.writerow(
                    [
                        key,
                        row["label"],
                        hours(row["minutes"]),
                        hours(row["billable"]),
                        row["entries"],
                    ]
                )
        return response
    return render(
        request,
        "timekeeping/dashboard.html",
        {"form": form, "tables": tables, "start": start, "end": end, "tab": "time"},
        status=400 if request.GET and not form.is_valid() else 200,
    )


def _csv_response(filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read Persian and Chinese as UTF-8
    return response


@login_required
@dashboard_view
def chargeback(request):
    """The chargeback report of one organisation for one month, as a page or (?format=csv) a
    CSV file."""
    form = ChargebackForm(request.GET or None)
    report = None
    if request.GET and form.is_valid():
        report = selectors.chargeback(
            organisation=form.cleaned_data["organisation"], month=form.cleaned_data["month"]
        )
        if request.GET.get("format") == "csv":
            return _chargeback_csv(report)
    elif not request.GET:
        last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(
            day=1
        )
        form = ChargebackForm(initial={"month": last_month.strftime("%Y-%m")})
    return render(
        request,
        "timekeeping/chargeback.html",
        {"form": form, "report": report, "tab": "chargeback", "query": request.GET.urlencode()},
        status=400 if request.GET and not form.is_valid() else 200,
    )


def _chargeback_csv(report) -> HttpResponse:
    month = report.month.strftime("%Y-%m")
    response = _csv_response(f"chargeback_{report.organisation.pk}_{month}.csv")
    writer = csv_writer(response)
    writer.writerow(
        [
            _("Organisation"),
            _("Month"),
            _("Kind"),
            _("Record"),
            _("Description"),
            _("Charging basis"),
            _("Quantity"),
            _("Unit price"),
            _("Amount"),
            _("Note"),
        ]
    )
    for line in [*report.orders, *report.time]:
        writer.writerow(
            [
                report.organisation.name,
                month,
                line.kind,
                line.number,
                line.description,
                line.basis,
                f"{line.quantity.normalize():f}",
                "" if line.unit_price is None else f"{line.unit_price:.2f}",
                f"{line.amount:.2f}",
                line.note,
            ]
        )
    writer.writerow(
        [
            report.organisation.name,
            month,
            "total",
            "",
            _("Total"),
            "",
            "",
            "",
            f"{report.total:.2f}",
            "",
        ]
    )
    return response
