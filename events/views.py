"""The inbound endpoints (one per source, its own token) and the agents' event console."""

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from events import selectors, services
from events.choices import EventState
from events.filters import EventFilter
from events.models import AlertSource, Event
from events.parsers import PARSERS, AlertsInvalid
from servicedesk.pages import run_action, staff_view
from servicedesk.paging import page_of

PAGE_SIZE = 50
MAX_BODY = 2 * 1024 * 1024


def _error(status: int, detail: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or {}}, status=status)


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "Token "):
        if header.startswith(scheme):
            return header[len(scheme) :].strip()
    return request.headers.get("X-ServiceDesk-Token", "")


@csrf_exempt
def inbound(request: HttpRequest, name: str) -> JsonResponse:
    """POST /events/inbound/<source>/ with `Authorization: Bearer <token>`: the source's own
    format, validated whole (400 naming the fields), stored and deduplicated; 202 with what was
    taken. An unknown source and a wrong token are the same 401, so names are not guessed."""
    if request.method != "POST":
        return _error(405, _("Send alerts with POST."))
    source = AlertSource.objects.filter(name=name, is_active=True).first()
    token = _token(request)
    if source is None or not token or not source.token_matches(token):
        response = _error(401, _("Unknown source or wrong token."))
        response["WWW-Authenticate"] = "Bearer"
        return response
    if len(request.body) > MAX_BODY:
        return _error(413, _("The payload is too large."))
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error(400, _("The body is not JSON."), {"body": [_("Send JSON.")]})
    try:
        alerts = PARSERS[source.kind](payload)
    except AlertsInvalid as error:
        return _error(400, _("The alerts were refused; nothing was stored."), error.errors)
    result = services.alerts_ingest(source=source, alerts=alerts)
    return JsonResponse(result.as_dict(), status=202)


@staff_view
def console(request: HttpRequest) -> HttpResponse:
    """The event console: newest first (keyset pages), filtered by state, source, CI,
    severity; active events unless a state is chosen."""
    if not selectors.can_view(request.user):
        raise Http404
    base = selectors.events_visible_to(request.user)
    filterset = EventFilter(request.GET or None, queryset=base)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    if not request.GET.getlist("state"):
        rows = rows.exclude(state__in=(EventState.RESOLVED, EventState.DROPPED))
    page = page_of(rows, ordering=("-last_seen_at", "-id"), cursor=request.GET.get("cursor", ""),
                   size=PAGE_SIZE)  # fmt: skip
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(request, "events/console.html", {
        "filter": filterset, "events": page.rows, "page": page, "query": params.urlencode(),
        "sources": AlertSource.objects.order_by("name"),
        "can_work": request.user.has_perm(services.ingest.WORK_PERMISSION),
    })  # fmt: skip


def _event_or_404(request, pk) -> Event:
    try:
        return selectors.event_get(user=request.user, pk=pk)
    except Event.DoesNotExist:
        raise Http404 from None


@staff_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    children = event.children.select_related("configuration_item").order_by("-last_seen_at")[:200]
    return render(request, "events/detail.html", {
        "event": event, "children": children,
        "can_work": request.user.has_perm(services.ingest.WORK_PERMISSION),
    })  # fmt: skip


@require_POST
@staff_view
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    return run_action(
        request, lambda: services.event_acknowledge(event_id=event.pk, actor=request.user),
        success=_("Event acknowledged."), done=lambda: redirect(_back(request, event)),
    )  # fmt: skip


@require_POST
@staff_view
def open_incident(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    made = {}

    def action():
        made["incident"] = services.event_open_incident(event_id=event.pk, actor=request.user)

    def done():
        return redirect("incidents:detail", made["incident"].number)

    return run_action(request, action, success=_("Incident opened."), done=done,
                      back=lambda: redirect("events:detail", event.pk))  # fmt: skip


def _back(request: HttpRequest, event: Event) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/events/") and "//" not in target:
        return target
    return reverse("events:detail", args=[event.pk])
