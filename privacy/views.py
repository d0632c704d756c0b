"""The security log for administrators (filtered, newest first, keyset-paged, and as CSV), and
everyone's own personal data as a download ("Your data" in My account)."""

import datetime as dt
import json

from django.contrib.auth.decorators import login_required, permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.security_log import security_event_list
from privacy.forms import SecurityLogFilterForm
from privacy.services import person_export
from servicedesk.csvfiles import csv_lines

PAGE_SIZE = 50
CSV_LIMIT = 100_000


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _events(form: SecurityLogFilterForm):
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until")
    return security_event_list(
        kind=data.get("kind") or "",
        email=data.get("email") or "",
        since=_day_start(data.get("since")),
        until=_day_start(until + dt.timedelta(days=1)) if until else None,
    )


@login_required
@permission_required("accounts.view_securityevent", raise_exception=True)
def security_log(request):
    form = SecurityLogFilterForm(request.GET or None)
    events = _events(form)
    before = form.cleaned_data.get("before") if form.is_valid() else None
    if before:
        events = events.filter(pk__lt=before)
    page = list(events.order_by("-id")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "privacy/security_log.html",
        {
            "form": form,
            "events": page,
            "next_before": page[-1].pk if more else None,
            "query": query.urlencode(),
        },
    )


@login_required
@permission_required("accounts.view_securityevent", raise_exception=True)
def security_log_csv(request):
    form = SecurityLogFilterForm(request.GET or None)
    events = _events(form).order_by("-id")[:CSV_LIMIT]

    def rows():
        yield ["time", "event", "email", "done_by", "address", "browser", "detail"]
        for event in events.iterator(chunk_size=2000):
            yield [
                event.created_at.isoformat(),
                event.kind,
                event.email,
                event.actor.email if event.actor_id else "",
                event.ip_address or "",
                event.user_agent,
                json.dumps(event.detail, ensure_ascii=False),
            ]

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="security-log.csv"'
    return response


def personal_data_download(data: dict, *, filename: str) -> HttpResponse:
    """A person's export (`person_export`) as a JSON file to save."""
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def my_data(request):
    """What the desk holds about me: explained on GET, downloaded on POST (logged, as an
    administrator's export is)."""
    if request.method == "POST":
        data = person_export(person=request.user, actor=request.user)
        return personal_data_download(data, filename="my-service-desk-data.json")
    return render(request, "privacy/my_data.html", {"account_tab": "data"})
