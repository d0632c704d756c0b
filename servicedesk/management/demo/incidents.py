"""Incident history for `load_demo` (see `servicedesk.management.demo.history`).

Each incident is drawn whole, from its logging to now: routed, assigned, answered, perhaps
paused awaiting the customer, resolved in business time on its policy's calendar, closed three
days later, a few reopened, reassigned, cancelled or solved on the phone at first contact; what
falls after now is the open backlog. The major incidents of `OUTAGES` carry the outage windows
behind availability and MTBF.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from django.utils import timezone

from accounts.models import Organisation
from incidents.choices import IncidentStatus
from incidents.models import Incident
from servicedesk.management.demo import vocabulary as words
from servicedesk.management.demo.clock import Clock, Policies, build_timer, save_timers
from servicedesk.management.demo.history import (
    AUTO_CLOSE_DAYS,
    DAY,
    HOUR,
    Reference,
    Timeline,
    rate,
    share,
    stored_as_given,
    to_datetime,
)
from servicedesk.models import AuditKind, SatisfactionRating
from servicedesk.numbering import reserve_record_numbers

# Fewer "planning" (P5, no SLA) incidents than the benchmark's large estate.
IMPACT_WEIGHTS = [("high", 8), ("medium", 37), ("low", 55)]
URGENCY_WEIGHTS = [("high", 15), ("medium", 58), ("low", 27)]
# Business time to the first reply and to the resolution, as a share of the target: log-normal
# (median, spread). About one in eight first replies and one in six resolutions are late; P1's
# one-hour resolution is missed more often.
RESPONSE_SHARE = (0.35, 0.9)
RESOLUTION_SHARE = {1: (0.75, 0.7), 2: (0.45, 0.85), 3: (0.42, 0.85), 4: (0.4, 0.85)}
# Without a policy (P5 "planning"): business seconds, for the durations only.
UNTIMED = {"first_response": 8 * HOUR, "resolution": 60 * HOUR}
PAUSED_SHARE = 0.12
REOPENED_SHARE = 0.04
CANCELLED_SHARE = 0.03
# A smaller desk takes more calls on the phone, and solves many while the caller waits.
CHANNEL_WEIGHTS = [("phone", 42), ("portal", 30), ("email", 20), ("monitoring", 5), ("api", 3)]
FIRST_CONTACT_SHARE = 0.75  # of the phone calls of P3-P5
STALE_SHARE = 0.012  # older incidents still open, waiting on a customer or a supplier

# service, days ago, local hour it began, hours down: the major incidents.
OUTAGES = [
    ("ERP", 2, 10.5, 3.5), ("ERP", 9, 14.0, 1.5), ("ERP", 21, 9.25, 2.0),
    ("ERP", 47, 11.0, 5.0), ("ERP", 74, 15.5, 1.0),
    ("E-mail", 12, 8.75, 1.0), ("E-mail", 58, 13.0, 2.5),
    ("Remote access (VPN)", 6, 7.5, 0.75), ("Remote access (VPN)", 18, 19.0, 1.25),
    ("Remote access (VPN)", 66, 10.0, 0.5),
    ("Internet", 26, 11.5, 3.5), ("Internet", 81, 16.0, 1.5),
    ("Data centre basic service", 39, 2.0, 6.0),
]  # fmt: skip
OUTAGE_TITLES = {
    "ERP": "ERP unavailable for all users",
    "E-mail": "E-mail down: nobody can send or receive",
    "Remote access (VPN)": "VPN gateway refuses all connections",
    "Internet": "No internet access at any site",
    "Data centre basic service": "Storage array failure in the data centre",
}


@dataclass
class Life:
    """One generated incident from logging to now: the instants and who did what."""

    created: datetime
    priority: int
    impact: str
    urgency: str
    channel: str
    title: str
    description: str
    requester: int
    organisation: int | None
    category: int | None
    subcategory: int | None
    service: int | None
    ci: int | None
    group: int
    assignee: int | None
    first_group: int | None = None  # when reassigned: the group that had it first
    reassignments: int = 0
    major: bool = False
    outage: tuple[datetime, datetime] | None = None
    assigned_at: datetime | None = None
    responded: datetime | None = None
    pauses: list = field(default_factory=list)  # [[start, end or None]] awaiting the customer
    pending_reason: str = ""
    reopened: tuple[datetime, datetime] | None = None  # (first resolution, reopened at)
    resolved: datetime | None = None
    closed: datetime | None = None
    auto_closed: bool = False
    cancelled: datetime | None = None
    first_contact: bool = False
    resolution: tuple[str, str] = ("", "")
    status: str = IncidentStatus.NEW


def load(ref: Reference, rng: random.Random, *, days: int, count: int) -> dict:
    now = ref.now
    stamps = words.creation_times(count, now.timestamp(), rng, days=days)
    lives = [_draw(ref, rng, to_datetime(ts)) for ts in stamps]
    lives += _majors(ref, rng, days)
    lives += _due_soon(ref, rng)
    lives.sort(key=lambda life: life.created)
    numbers = reserve_record_numbers(Incident.NUMBER_PREFIX, len(lives))
    incidents = [_incident(life, number) for life, number in zip(lives, numbers, strict=True)]
    with stored_as_given(Incident, SatisfactionRating):
        incidents = Incident.objects.bulk_create(incidents, batch_size=500)
        timeline = Timeline(ref.incident_ct, ref.names)
        built = []
        ratings: list[SatisfactionRating] = []
        for incident, life in zip(incidents, lives, strict=True):
            _timeline(ref, rng, timeline, incident, life)
            built += _timers(ref, incident, life)
            if life.resolved and life.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
                rate(rng, ratings, ct=ref.incident_ct, pk=incident.pk,
                     requester=life.requester, resolved=life.resolved, now=now)  # fmt: skip
        timers = save_timers(built)
        n_comments, n_events = timeline.save()
        SatisfactionRating.objects.bulk_create(ratings, batch_size=1000)
    return {
        "incidents": len(incidents),
        "incident_timers": timers,
        "incident_comments": n_comments,
        "incident_events": n_events,
        "incident_ratings": len(ratings),
        "outages": sum(1 for life in lives if life.outage),
    }


def _choose(rng, weighted):
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


def _draw(ref: Reference, rng: random.Random, created: datetime, **fixed) -> Life:
    """An incident logged at `created`, and everything that happened to it until now."""
    cat, sub, home, service, cis, titles = rng.choices(ref.subcategories, ref.weights)[0]
    impact = fixed.get("impact") or _choose(rng, IMPACT_WEIGHTS)
    urgency = fixed.get("urgency") or _choose(rng, URGENCY_WEIGHTS)
    channel = fixed.get("channel") or _choose(rng, CHANNEL_WEIGHTS)
    requester, organisation = rng.choices(ref.customers, cum_weights=ref.zipf)[0]
    title = rng.choice(titles) + rng.choice(words.PLACES)
    life = Life(
        created=created,
        priority=ref.matrix[impact, urgency],
        impact=impact,
        urgency=urgency,
        channel=channel,
        title=title,
        description=rng.choice(words.DESCRIPTIONS).format(
            title=title,
            title_lower=title[0].lower() + title[1:],
            when=rng.choice(words.WHEN),
            impact=rng.choice(words.IMPACTS),
            error=rng.choice(words.ERRORS),
        ),  # fmt: skip
        requester=requester,
        organisation=organisation,
        category=cat,
        subcategory=sub,
        service=service,
        ci=rng.choice(cis) if cis and rng.random() < 0.6 else None,
        group=home,
        assignee=None,
    )
    desk = ref.groups["Service Desk"].pk
    r = rng.random()
    if r < 0.25:
        life.group = desk
    elif r < 0.37:  # first sent to the wrong group, then on to the right one
        life.first_group = desk if home != desk else ref.groups["Applications"].pk
        life.reassignments = 1 + (rng.random() < 0.25)
    life.assignee = rng.choice(ref.members[life.group])
    _live(ref, rng, life)
    return life


def _business(policies: Policies, policy, metric: str, seconds_share: float) -> tuple:
    target = policies.target_seconds(policy, metric) or UNTIMED[metric]
    return target * seconds_share, policies.calendar(policy, metric)


def _live(ref: Reference, rng: random.Random, life: Life) -> None:
    """Respond, pause, resolve, reopen, close or cancel, in business time on the policy's
    calendar; what lies after now is not done yet (the open backlog)."""
    now, created = ref.now, life.created
    policy = ref.policies.policy(priority=life.priority, service_id=life.service,
                                 organisation_id=life.organisation)  # fmt: skip
    fallback = ref.policies.calendar(ref.policies.policy(priority=3, service_id=None,
                                                         organisation_id=None), "resolution")  # fmt: skip
    respond_s, response_cal = _business(ref.policies, policy, "first_response",
                                        share(rng, *RESPONSE_SHARE))  # fmt: skip
    median, spread = RESOLUTION_SHARE.get(life.priority, (0.5, 0.8))
    resolve_s, calendar = _business(ref.policies, policy, "resolution", share(rng, median, spread))
    response_cal, calendar = response_cal or fallback, calendar or fallback
    resolve_s = max(resolve_s, respond_s + 600)
    if life.major:
        start, end = cast(tuple[datetime, datetime], life.outage)  # every major one has one
        life.responded = created + timedelta(minutes=rng.uniform(3, 12))
        life.assigned_at = life.responded - timedelta(minutes=1)
        life.resolved = end
        life.resolution = ("solved_permanently", "<p>Service restored; root cause passed to "
                           "problem management.</p>")  # fmt: skip
    elif rng.random() < CANCELLED_SHARE:
        life.cancelled = created + timedelta(minutes=rng.uniform(10, 240))
        if life.cancelled > now:
            life.cancelled = None
        else:
            life.assignee = None if rng.random() < 0.6 else life.assignee
    elif life.channel == "phone" and life.priority >= 3 and rng.random() < FIRST_CONTACT_SHARE:
        life.first_contact = True
        life.resolved = created + timedelta(minutes=rng.uniform(4, 20))
        life.group, life.first_group, life.reassignments = ref.groups["Service Desk"].pk, None, 0
        life.assignee = rng.choice(ref.members[life.group])
        life.assigned_at = created
    else:
        life.responded = response_cal.add(created, timedelta(seconds=respond_s))
        life.assigned_at = created + (life.responded - created) * rng.uniform(0.2, 0.8)
        if rng.random() < PAUSED_SHARE:
            at = respond_s + (resolve_s - respond_s) * rng.uniform(0.2, 0.8)
            pause_start = calendar.add(created, timedelta(seconds=at))
            pause_end = pause_start + timedelta(hours=min(max(rng.expovariate(1 / 20), 1), 120))
            life.pauses = [[pause_start, pause_end]]
            life.pending_reason = "customer"
            life.resolved = calendar.add(pause_end, timedelta(seconds=resolve_s - at))
        else:
            life.resolved = calendar.add(created, timedelta(seconds=resolve_s))
        if rng.random() < REOPENED_SHARE:
            first = life.resolved
            reopened = first + timedelta(hours=rng.uniform(2, 48))
            again = calendar.add(reopened, timedelta(hours=rng.uniform(0.5, 6)))
            if again <= now:
                life.reopened, life.resolved = (first, reopened), again
        code, _weight, notes = rng.choices(
            words.RESOLUTIONS, [w for _c, w, _n in words.RESOLUTIONS]
        )[0]
        life.resolution = (code, notes)
    if (
        not life.major
        and life.resolved
        and rng.random() < STALE_SHARE
        and (now - created > timedelta(days=7))
    ):
        # Waiting on the customer or a supplier for a long time: still open.
        begin = (life.responded or created) + timedelta(hours=rng.uniform(2, 30))
        if begin < now:
            life.pauses, life.resolved, life.reopened = [[begin, None]], None, None
            life.pending_reason = rng.choice(["customer", "supplier"])
    _status_now(rng, life, now)


def _status_now(rng, life: Life, now: datetime) -> None:
    """Cut the life at now: what has not happened yet is the open backlog."""
    if life.cancelled:
        life.status = IncidentStatus.CANCELLED
        return
    if life.resolved and life.resolved <= now:
        since = (now - life.resolved).total_seconds()
        if since >= AUTO_CLOSE_DAYS * DAY:
            life.auto_closed = rng.random() < 0.7
            life.closed = life.resolved + (
                timedelta(days=AUTO_CLOSE_DAYS) if life.auto_closed
                else timedelta(seconds=rng.uniform(0.1, 0.9) * AUTO_CLOSE_DAYS * DAY)
            )  # fmt: skip
            life.status = IncidentStatus.CLOSED
        else:
            life.status = IncidentStatus.RESOLVED
        return
    life.resolved, life.resolution, life.reopened = None, ("", ""), None
    life.first_contact = False
    life.pauses = [[s, e if e and e <= now else None] for s, e in life.pauses if s <= now]
    if life.responded and life.responded > now:
        life.responded = None
    if life.assigned_at and life.assigned_at > now:
        life.assigned_at = None
    if life.pauses and life.pauses[-1][1] is None:
        life.status = IncidentStatus.PENDING
        life.pending_reason = life.pending_reason or "customer"
    else:
        life.pending_reason = "" if not life.pauses else life.pending_reason
        if life.responded:
            life.status = IncidentStatus.IN_PROGRESS
        elif life.assigned_at:
            life.status = IncidentStatus.ASSIGNED
        else:
            life.status, life.assignee = IncidentStatus.NEW, None
    if life.status != IncidentStatus.PENDING:
        life.pending_reason = ""


def _majors(ref: Reference, rng: random.Random, days: int) -> list[Life]:
    """The major incidents of `OUTAGES` within the history: P1, logged by monitoring minutes
    after the service went down, resolved when it came back."""
    lives = []
    tz = timezone.get_current_timezone()
    today = timezone.localtime(ref.now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    for name, days_ago, hour, hours in OUTAGES:
        service = ref.services.get(name)
        if service is None or days_ago >= days:
            continue
        start = (today - timedelta(days=days_ago) + timedelta(hours=hour)).astimezone(UTC)
        end = start + timedelta(hours=hours)
        if end > ref.now:
            continue
        created = start + timedelta(minutes=rng.uniform(2, 10))
        life = _draw(ref, rng, created, impact="high", urgency="high", channel="monitoring")
        group = service.support_group_id or ref.groups["Service Desk"].pk
        life.title, life.service, life.group = OUTAGE_TITLES.get(name, name), service.pk, group
        life.description = f"<p>{life.title}. Raised by monitoring; users report the same.</p>"
        life.first_group, life.reassignments, life.cancelled = None, 0, None
        life.assignee = rng.choice(ref.members[group])
        life.major, life.outage, life.pauses, life.reopened = True, (start, end), [], None
        life.pending_reason, life.first_contact = "", False
        _live(ref, rng, life)
        lives.append(life)
    return lives


def _due_soon(ref: Reference, rng: random.Random) -> list[Life]:
    """A few open incidents of Contoso Health (round-the-clock SLA) whose resolution falls due
    within the next two hours, whatever the hour the demo is loaded, and a few past due."""
    contoso_id = Organisation.objects.filter(code="contoso").values_list("pk", flat=True).first()
    contoso = [c for c in ref.customers if c[1] == contoso_id]
    lives = []
    for _n in range(4 if contoso else 0):
        requester = rng.choice(contoso)
        policy = ref.policies.policy(priority=3, service_id=None, organisation_id=requester[1])
        seconds = ref.policies.target_seconds(policy, "resolution")
        calendar = ref.policies.calendar(policy, "resolution")
        if not seconds or calendar is None or not calendar.always_open:
            return []
        created = ref.now - timedelta(seconds=seconds) + timedelta(minutes=rng.uniform(10, 110))
        life = _draw(ref, rng, created, impact="medium", urgency="medium", channel="phone")
        life.requester, life.organisation = requester
        life.cancelled, life.first_contact, life.reopened, life.pauses = None, False, None, []
        life.pending_reason = ""
        life.responded = created + timedelta(minutes=rng.uniform(5, 25))
        life.assigned_at, life.resolved, life.closed = created, None, None
        life.assignee = life.assignee or rng.choice(ref.members[life.group])
        life.resolution, life.status = ("", ""), IncidentStatus.IN_PROGRESS
        lives.append(life)
    return lives + _overdue(ref, rng)


def _overdue(ref: Reference, rng: random.Random) -> list[Life]:
    """A few incidents still in progress well after their resolution target: past due now."""
    lives = []
    for days_ago in (5.2, 7.4, 11.6):
        created = ref.now - timedelta(days=days_ago)
        life = _draw(ref, rng, created, impact="medium", urgency="medium", channel="email")
        life.cancelled, life.first_contact, life.reopened, life.pauses = None, False, None, []
        life.pending_reason, life.resolved, life.closed = "", None, None
        life.responded = created + timedelta(hours=rng.uniform(0.5, 3))
        life.assigned_at = created + timedelta(minutes=20)
        life.assignee = life.assignee or rng.choice(ref.members[life.group])
        life.resolution, life.status = ("", ""), IncidentStatus.IN_PROGRESS
        lives.append(life)
    return lives


def _incident(life: Life, number: str) -> Incident:
    last = max(
        t for t in (life.created, life.assigned_at, life.responded, life.resolved, life.closed,
                    life.cancelled, *(p[0] for p in life.pauses),
                    *(p[1] for p in life.pauses if p[1])) if t
    )  # fmt: skip
    code, notes = life.resolution
    return Incident(
        number=number,
        title=life.title[:200],
        description=life.description,
        requester_id=life.requester,
        organisation_id=life.organisation,
        support_group_id=life.group,
        assignee_id=life.assignee,
        status=life.status,
        created_at=life.created,
        updated_at=last,
        version=1
        + (life.assigned_at is not None)
        + len(life.pauses) * 2
        + (life.resolved is not None)
        + (life.closed is not None)
        + 2 * bool(life.reopened)
        + life.reassignments,
        impact=life.impact,
        urgency=life.urgency,
        priority=life.priority,
        category_id=life.category,
        subcategory_id=life.subcategory,
        service_id=life.service,
        configuration_item_id=life.ci,
        channel=life.channel,
        major_incident=life.major,
        outage_started_at=life.outage[0] if life.outage else None,
        outage_ended_at=life.outage[1] if life.outage else None,
        pending_reason=life.pending_reason,
        resolution_code=code,
        resolution_notes=notes,
        resolved_at=life.resolved,
        closed_at=life.closed,
        first_responded_at=life.responded,
        reassignment_count=life.reassignments,
        reopen_count=1 if life.reopened else 0,
        first_contact_resolution=life.first_contact,
    )


def _timers(ref: Reference, incident: Incident, life: Life) -> list:
    policy = ref.policies.policy(priority=life.priority, service_id=life.service,
                                 organisation_id=life.organisation)  # fmt: skip
    built = []
    resolution_pauses = list(life.pauses)
    if life.reopened:
        resolution_pauses.append(list(life.reopened))
    for target in ref.policies.targets(policy):
        if target.metric == "first_response":
            stop = life.responded or life.resolved
            if stop and life.resolved and stop > life.resolved:
                stop = life.resolved
            clock = Clock(started=life.created, stopped=stop, cancelled=life.cancelled)
        elif target.metric == "resolution":
            clock = Clock(started=life.created, pauses=resolution_pauses, stopped=life.resolved,
                          cancelled=life.cancelled)  # fmt: skip
        else:
            continue
        built.append(
            build_timer(
                content_type_id=ref.incident_ct,
                object_id=incident.pk,
                policy=policy,
                target=target,
                clock=clock,
                now=ref.now,
                rules=ref.policies.rules_for_metric(target.metric, policy),
            )  # fmt: skip
        )
    return built


def _timeline(ref: Reference, rng: random.Random, timeline: Timeline, incident, life) -> None:
    """The audit events of the key steps, and the replies, as the services write them."""
    labels = dict(IncidentStatus.choices)
    pk, desk = incident.pk, ref.members[ref.groups["Service Desk"].pk]
    agent = life.assignee or rng.choice(ref.members[life.group])
    creator = {"portal": life.requester, "phone": rng.choice(desk)}.get(life.channel)
    if life.first_contact:
        creator = life.assignee
    timeline.event(pk, life.created, creator, AuditKind.CREATED, new_text=incident.number)
    if life.first_group and life.assigned_at:
        groups = {g.pk: g for g in ref.groups.values()}
        moved = life.created + (life.assigned_at - life.created) / 2
        timeline.regrouped(pk, moved, rng.choice(desk), groups[life.first_group],
                           groups[life.group])  # fmt: skip
    if life.assignee and life.assigned_at:
        timeline.assigned(pk, life.assigned_at, rng.choice(ref.members[life.group]), life.assignee)
        timeline.status(pk, life.assigned_at, agent, "new", "assigned", labels)
    if life.first_contact:
        timeline.status(pk, life.resolved, agent, "assigned", "resolved", labels)
    if life.cancelled:
        timeline.status(pk, life.cancelled, agent, "new", "cancelled", labels,
                        note="Logged twice; the other incident is being worked on.")  # fmt: skip
        return
    if life.responded:
        timeline.status(pk, life.responded, agent, "assigned", "in_progress", labels)
        timeline.comment(pk, life.responded, agent, rng.choice(words.AGENT_REPLIES))
    for start, end in life.pauses:
        timeline.status(pk, start, agent, "in_progress", "pending", labels)
        timeline.comment(pk, start, agent, "<p>Could you tell us when you are available to "
                         "test? We will wait for your answer.</p>")  # fmt: skip
        if end:
            timeline.comment(pk, end, life.requester, rng.choice(words.REQUESTER_REPLIES))
            timeline.status(pk, end, life.requester, "pending", "in_progress", labels)
    if life.responded and rng.random() < 0.3:
        at = life.responded + ((life.resolved or ref.now) - life.responded) * rng.uniform(0.1, 0.9)
        timeline.comment(pk, at, agent, rng.choice(words.WORK_NOTES), internal=True)
    if life.reopened:
        first, again = life.reopened
        timeline.status(pk, first, agent, "in_progress", "resolved", labels)
        timeline.status(pk, again, life.requester, "resolved", "in_progress", labels,
                        note="It happened again.")  # fmt: skip
    if life.resolved and not life.first_contact:
        timeline.status(pk, life.resolved, agent, "in_progress", "resolved", labels)
    if life.closed:
        if life.auto_closed:
            timeline.status(pk, life.closed, timeline.system, "resolved", "closed", labels,
                            note=f"Closed automatically {AUTO_CLOSE_DAYS} days after resolution.")  # fmt: skip
        else:
            timeline.status(pk, life.closed, life.requester, "resolved", "closed", labels)
