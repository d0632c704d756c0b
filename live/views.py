"""The agents' live pages: the header's bell and presence switch, the notification list, the
availability page, and the cheap polls of a record page and a queue (ETag, 304)."""

from datetime import UTC, datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from live import selectors, services
from live.forms import AvailabilityForm
from live.models import AssignmentRule
from servicedesk import registry
from servicedesk.forms import apply_service_errors
from servicedesk.pages import staff_view


def _etag_matches(request, etag: str) -> bool:
    return etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@staff_view
@require_GET
def bell(request):
    """The header's fragment: unread count and presence (loaded by htmx after the page)."""
    context = {
        "unread": selectors.unread_count(request.user),
        "availability": selectors.availability_of(request.user),
        "next": request.GET.get("next", ""),
    }
    return render(request, "live/_bell.html", context)


@staff_view
@require_POST
def presence(request):
    row = services.availability_toggle(actor=request.user)
    if row.present:
        messages.success(request, _("You are present: new records may be given to you."))
    else:
        messages.success(request, _("You are away: no new records will be given to you."))
    return _back(request, "live:availability")


@staff_view
def availability(request):
    row = selectors.availability_of(request.user)
    skills = list(request.user.skills.values_list("category_id", flat=True))
    initial = {
        "present": row.present, "work_days": list(row.work_days), "starts_at": row.starts_at,
        "ends_at": row.ends_at, "skills": skills,
    }  # fmt: skip
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.availability_set(
                actor=request.user, present=data["present"], work_days="".join(data["work_days"]),
                starts_at=data["starts_at"], ends_at=data["ends_at"], skills=data["skills"],
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your availability is saved."))
            return redirect("live:availability")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "live/availability.html",
        {"form": form, "availability": row, "time_zone": request.user.time_zone},
        status=status,
    )  # fmt: skip


@staff_view
def group_rules(request):
    """The groups whose assignment rule the person may set, one small form each."""
    rows = selectors.group_rules_for(request.user)
    if request.method == "POST":
        pk = request.POST.get("group", "")
        group = next((row["group"] for row in rows if str(row["group"].pk) == pk), None)
        if group is None:
            raise Http404
        try:
            services.group_assignment_set(
                actor=request.user, group=group, rule=request.POST.get("rule", ""),
                by_skill=bool(request.POST.get("by_skill")),
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(group)s: assignment rule saved.") % {"group": group})
        return redirect("live:group_rules")
    return render(request, "live/group_rules.html", {"rows": rows, "rules": AssignmentRule.choices})


@staff_view
def notifications(request):
    unread_only = request.GET.get("show") == "unread"
    rows = selectors.notifications_for(request.user, unread_only=unread_only)
    for row in rows:
        row.url = selectors.record_url(row.number)
    return render(
        request, "live/notifications.html",
        {"notifications": rows, "unread_only": unread_only,
         "unread": selectors.unread_count(request.user)},
    )  # fmt: skip


@staff_view
@require_POST
def mark_read(request):
    ids = [int(pk) for pk in request.POST.getlist("notification") if pk.isdigit()]
    if request.POST.get("all"):
        count = services.notifications_mark_read(actor=request.user)
    elif ids:
        count = services.notifications_mark_read(actor=request.user, ids=ids)
    else:
        messages.error(request, _("Choose the notifications to mark read."))
        return _back(request, "live:notifications")
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return _back(request, "live:notifications")


@staff_view
@require_GET
def record_state(request, number):
    """A record page's poll: 304 while the record's state (its version and timeline stamp) is
    the one the browser has (one indexed query and one cache read), else the banner naming who
    changed it and the entries since the page was rendered."""
    etag = selectors.record_etag(request.user, number)
    if etag is None:
        raise Http404
    if _etag_matches(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    if request.GET.get("seen", "") == etag:
        response = HttpResponse(status=204)
    else:
        try:
            since = datetime.fromisoformat(request.GET.get("since", ""))
        except ValueError:
            since = datetime(2000, 1, 1, tzinfo=UTC)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        changes = selectors.record_changes(request.user, number, since=since)
        if changes is None:
            raise Http404
        response = render(request, "live/_record_changed.html", changes)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@staff_view
@require_GET
def queue_stamp(request, key):
    """A queue's poll: 304 while its stamp (one cache read) is the one the browser has."""
    try:
        record_type = registry.get(key)
    except KeyError:
        raise Http404 from None
    group = request.GET.get("support_group", "")
    group = group if group.isdigit() else ""
    etag = f'"{selectors.queue_stamp(record_type.label_lower, group)}"'
    if _etag_matches(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    return HttpResponse(status=204, headers={"ETag": etag, "Cache-Control": "private, no-cache"})
