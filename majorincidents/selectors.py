"""Reads of the major-incident room and the status pages, including who may see what.

The room is the desk's (agents and everyone behind them). A status page shows a live business
service's health, the update texts and the outage windows: never an incident's title, notes or
the names of the agents; end users read the pages of the services meant for them, anyone reads
those an administrator made public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import USE_WORKSPACE
from catalogue.models import Service, ServiceKind
from catalogue.models import ServiceStatus as CatalogueStatus
from catalogue.selectors import services_visible_to
from cmdb.selectors import SERVICE_USERS_WINDOW, impact_of
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident
from majorincidents.models import (
    CommunicationPlan,
    ServiceHealth,
    ServiceStatus,
    StatusSubscription,
    StatusUpdate,
)
from servicedesk.models import AuditEvent, LinkKind, RecordLink
from servicedesk.selectors import record_links

POST_PERMISSION = "incidents.work_incident"
HISTORY_DAYS = 90
# Affected users mailed by one update at most (the nearest services' users first).
AFFECTED_LIMIT = 5000
TIMELINE_LIMIT = 100
# Worst first: the order a page sorts services and a day's worst status.
SEVERITY = {
    ServiceHealth.OPERATIONAL: 0,
    ServiceHealth.DEGRADED: 1,
    ServiceHealth.PARTIAL_OUTAGE: 2,
    ServiceHealth.MAJOR_OUTAGE: 3,
}


def can_view_room(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(USE_WORKSPACE))


def can_post(user) -> bool:
    return bool(can_view_room(user) and user.has_perm(POST_PERMISSION))


# --- The room -----------------------------------------------------------------------------------


def current_major_incidents(*, user) -> QuerySet[Incident]:
    """The open major incidents, highest priority and oldest first (the partial index
    `inc_open_major_idx`)."""
    if not can_view_room(user):
        return Incident.objects.none()
    return (
        Incident.objects.filter(major_incident=True, status__in=OPEN_STATUSES)
        .select_related("service", "assignee", "support_group")
        .order_by("priority", "created_at")
    )


def room_incident(*, user, number: str) -> Incident:
    """The major incident whose room the person opens (DoesNotExist: not one, or not theirs)."""
    if not can_view_room(user):
        raise Incident.DoesNotExist
    return Incident.objects.select_related(
        "service", "configuration_item", "assignee", "support_group", "requester"
    ).get(number=number.upper(), major_incident=True)


def plan_of(incident: Incident) -> CommunicationPlan | None:
    return (
        CommunicationPlan.objects.filter(incident=incident)
        .prefetch_related("stakeholder_people", "stakeholder_groups")
        .first()
    )


def affected_services(incident: Incident) -> list[Service]:
    """The incident's own service, then the catalogue services of the business services its
    configuration item reaches downstream (the CMDB's impact walk), nearest first."""
    found: list[Service] = []
    if incident.service_id:
        found.append(incident.service)  # type: ignore[arg-type]
    if incident.configuration_item_id:
        impact = impact_of(ci=incident.configuration_item)  # type: ignore[arg-type]
        ids = [s.ci.service_id for s in impact.services if s.ci.service_id]
        more = Service.objects.in_bulk(ids)
        for pk in ids:
            if pk in more and all(s.pk != pk for s in found):
                found.append(more[pk])
    return found


def affected_user_ids(incident: Incident, services: list[Service] | None = None) -> list[int]:
    """The users of the affected services: the people who logged incidents on them in the last
    90 days (the CMDB's measure of a service's users), the requesters of the incident and of
    its children; active people only, at most AFFECTED_LIMIT."""
    if services is None:
        services = affected_services(incident)
    since = timezone.now() - SERVICE_USERS_WINDOW
    ids: list[int] = []
    if incident.requester_id:
        ids.append(incident.requester_id)
    ids += children(incident).values_list("requester_id", flat=True)
    if services:
        ids += (
            Incident.objects.filter(service__in=services, created_at__gte=since)
            .exclude(requester__isnull=True)
            .values_list("requester_id", flat=True)
            .distinct()[:AFFECTED_LIMIT]
        )
    wanted = list(dict.fromkeys(pk for pk in ids if pk))[:AFFECTED_LIMIT]
    return list(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))


def stakeholders(plan: CommunicationPlan | None) -> tuple[list[int], list[str]]:
    """(people's ids, plain addresses) of a plan's stakeholder groups."""
    if plan is None:
        return [], []
    people = {u.pk for u in plan.stakeholder_people.all() if u.is_active}
    for group in plan.stakeholder_groups.all():
        people |= set(group.members.filter(is_active=True).values_list("pk", flat=True))
    return sorted(people), list(plan.stakeholder_addresses or [])


def subscribers(service: Service | None) -> tuple[list[int], list[str]]:
    """(people's ids, confirmed addresses) subscribed to a service's status."""
    if service is None:
        return [], []
    rows = StatusSubscription.objects.filter(service=service).filter(
        Q(user__isnull=False, user__is_active=True) | Q(confirmed=True)
    )
    people = [r.user_id for r in rows if r.user_id]
    return people, [r.email for r in rows if r.email]


def children(incident: Incident) -> QuerySet[Incident]:
    """Child incidents: the incident's `parent` children and those it is linked to as "parent
    of" (the kernel's record links)."""
    kind = ContentType.objects.get_for_model(Incident)
    linked = RecordLink.objects.filter(
        kind=LinkKind.PARENT_OF, source_type=kind, source_id=incident.pk, target_type=kind
    ).values("target_id")
    return Incident.objects.filter(Q(parent=incident) | Q(pk__in=linked)).exclude(pk=incident.pk)


# The fields of the room's own audit events, which are not the incident's columns.
EVENT_LABELS = {
    "service_status": _("Service status"),
    "communications_plan": _("Communications plan"),
}


def decisions(incident: Incident, *, limit: int = TIMELINE_LIMIT) -> list[AuditEvent]:
    """The incident's audited events, newest first: the timeline of decisions. The room's own
    events carry `label` (their field's name in the reader's language)."""
    events = list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )
    for event in events:
        event.label = EVENT_LABELS.get(event.field, "")  # type: ignore[attr-defined]
    return events


def room(*, user, incident: Incident) -> dict[str, Any]:
    """Everything the room shows."""
    plan = plan_of(incident)
    services = affected_services(incident)
    people, addresses = stakeholders(plan)
    main = services[0] if services else None
    sub_people, sub_addresses = subscribers(main)
    return {
        "incident": incident,
        "plan": plan,
        "services": services,
        "main_service": main,
        "health": health_of(main),
        "affected_count": len(affected_user_ids(incident, services)),
        "stakeholder_count": len(people) + len(addresses),
        "subscriber_count": len(sub_people) + len(sub_addresses),
        "updates": list(
            StatusUpdate.objects.filter(incident=incident).select_related("author", "service")
        ),
        "children": list(children(incident).select_related("assignee").order_by("created_at")),
        "links": record_links(record=incident, user=user),
        "decisions": decisions(incident),
        "can_post": can_post(user),
        "overdue": bool(plan and plan.next_update_due and plan.next_update_due <= timezone.now()),
    }


def plans_due(now: datetime) -> QuerySet[CommunicationPlan]:
    """Plans whose next update is due and not reminded yet, on open major incidents."""
    return (
        CommunicationPlan.objects.filter(
            next_update_due__lte=now,
            incident__major_incident=True,
            incident__status__in=OPEN_STATUSES,
        )
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("next_update_due")))
        .select_related("incident")
    )


def record_panel_context(request, *, record) -> dict | None:
    """The incident page's "Major-incident room" card: staff, major incidents only."""
    if request is None or not isinstance(record, Incident) or not record.major_incident:
        return None
    if not can_view_room(request.user):
        return None
    row = (
        Incident.objects.filter(pk=record.pk)
        .annotate(last=Max("status_updates__created_at"))
        .values_list("last", "communication_plan__next_update_due")
        .first()
    )
    last, due = row if row is not None else (None, None)
    return {
        "room_url": reverse("majorincidents:room", args=[record.number]),
        "last_update": last,
        "next_due": due,
    }


def workspace_link_context(request) -> dict | None:
    if request is None or not can_view_room(request.user):
        return None
    count = Incident.objects.filter(major_incident=True, status__in=OPEN_STATUSES).count()
    return {"major_url": reverse("majorincidents:list"), "major_count": count}


# --- Status pages -------------------------------------------------------------------------------


def _on_status_pages() -> QuerySet[Service]:
    return Service.objects.filter(
        kind=ServiceKind.BUSINESS, status=CatalogueStatus.LIVE, is_active=True
    )


def status_services(*, user) -> QuerySet[Service]:
    """The services whose status page the person may read: those meant for them (end users,
    staff: every business one) and, for anyone, those made public."""
    public = _on_status_pages().filter(status_page__public=True)
    if not user.is_authenticated:
        return public
    mine = _on_status_pages().filter(pk__in=services_visible_to(user).values("pk"))
    return (mine | public).distinct().order_by("name")


def health_of(service: Service | None) -> str:
    if service is None:
        return ServiceHealth.OPERATIONAL
    row = ServiceStatus.objects.filter(service=service).only("health").first()
    return row.health if row else ServiceHealth.OPERATIONAL


def service_overview(*, user) -> list[dict[str, Any]]:
    """[{service, health}] of the pages the person may read: the worst first, then by name."""
    services = list(status_services(user=user))
    health = dict(
        ServiceStatus.objects.filter(service__in=services).values_list("service_id", "health")
    )
    rows = [{"service": s, "health": health.get(s.pk, ServiceHealth.OPERATIONAL)} for s in services]
    return sorted(rows, key=lambda r: (-SEVERITY[ServiceHealth(r["health"])], r["service"].name))


def portal_home_context(request) -> dict[str, Any]:
    """The portal home's "Service status" block: the person's services that are not
    operational now (empty: the block shows nothing)."""
    rows = [
        r for r in service_overview(user=request.user) if r["health"] != ServiceHealth.OPERATIONAL
    ]
    return {"status_issues": rows}


@dataclass
class PageIncident:
    """One incident as a status page shows it: its number, the outage window and the updates'
    texts (never its title, notes or who worked it)."""

    number: str
    started: datetime
    ended: datetime | None
    resolved: bool
    updates: list[StatusUpdate] = field(default_factory=list)


def status_page(*, service: Service, now: datetime | None = None) -> dict[str, Any]:
    """A service's page: its health, the current incidents' updates, the last 90 days' history
    and the uptime over them from the outages of its major and monitoring incidents."""
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    updates = list(
        StatusUpdate.objects.filter(service=service, on_status_page=True, created_at__gte=since)
        .only("incident_id", "health", "text", "created_at")
        .order_by("-created_at", "-pk")
    )
    outages = list(
        Incident.objects.filter(service=service, outage_started_at__isnull=False)
        .filter(Q(major_incident=True) | Q(channel="monitoring"))
        .filter(Q(outage_ended_at__isnull=True) | Q(outage_ended_at__gt=since))
        .only("id", "number", "status", "outage_started_at", "outage_ended_at", "created_at")
    )
    incident_ids = {u.incident_id for u in updates} - {i.pk for i in outages}
    others = list(
        Incident.objects.filter(pk__in=incident_ids).only(
            "id", "number", "status", "outage_started_at", "outage_ended_at", "created_at"
        )
    )
    by_id: dict[int, PageIncident] = {}
    for incident in outages + others:
        by_id[incident.pk] = PageIncident(
            number=incident.number,
            started=incident.outage_started_at or incident.created_at,
            ended=incident.outage_ended_at,
            resolved=incident.status not in OPEN_STATUSES,
        )
    for update in updates:
        if update.incident_id in by_id:
            by_id[update.incident_id].updates.append(update)
    down = timedelta(0)
    for incident in outages:
        if incident.outage_started_at is None:
            continue
        start = max(incident.outage_started_at, since)
        end = min(incident.outage_ended_at or now, now)
        if end > start:
            down += end - start
    period = timedelta(days=HISTORY_DAYS)
    uptime = round(100 * max(period - down, timedelta(0)) / period, 3)
    history = sorted(by_id.values(), key=lambda i: i.started, reverse=True)
    return {
        "service": service,
        "health": health_of(service),
        "current": [i for i in history if not i.resolved],
        "history": [i for i in history if i.resolved],
        "uptime": uptime,
        "days": HISTORY_DAYS,
    }


def public_page_service(*, pk: int) -> Service:
    """A service whose page an administrator made public (DoesNotExist otherwise)."""
    return _on_status_pages().get(pk=pk, status_page__public=True)


def subscription_by_token(token: str, *, address: bool = False) -> StatusSubscription | None:
    """The subscription a mailed link names (with `address`, only a public address's, the
    kind that confirms), with its service; None for a token that names none."""
    rows = StatusSubscription.objects.filter(token=token).select_related("service")
    return (rows.filter(user__isnull=True) if address else rows).first()


def subscription_of(*, user, service: Service) -> StatusSubscription | None:
    if not user.is_authenticated:
        return None
    return StatusSubscription.objects.filter(user=user, service=service).first()
