"""The worker's side of event management: each new or resolved event is read against the
silences and rules, mapped to its CI, correlated through the CMDB graph, and becomes (or
resolves) an incident through the incident services, as the system actor.

Events are processed one at a time, oldest first, by one worker at a time (a PostgreSQL
advisory lock held for the batch), so two alerts of one storm never both become the root.
"""

from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from cmdb import graph
from cmdb.choices import Direction
from events.choices import ACTIVE_STATES, EventState, Processing, RuleAction
from events.emails import RECOVERED_KIND
from events.maintenance import cis_in_maintenance
from events.models import Event, EventRule
from events.services.ingest import kick_taken
from events.services.rules import (
    active_rules,
    active_silences,
    ci_for,
    cis_for,
    rule_for,
    silenced,
)
from incidents import services as incidents
from incidents.choices import Channel, Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.models import Incident
from servicedesk.actors import actor_required, system_actor
from servicedesk.exceptions import ApplicationError, TransitionNotAllowed
from servicedesk.models import Visibility
from servicedesk.notifications import notify

PROCESS_LOCK = 0x45564E54  # "EVNT": one processor at a time
CHUNK = 100  # events decided together (their rows locked for one short transaction)

# What a batch of events reads once: the rules, the silences, the roots already major, the
# upstream walk of each CI.
_BATCH: dict[str, Any] = {}

# Severity -> (impact, urgency) when no rule rates it; information opens no incident.
RATING: dict[str, tuple[str, str]] = {
    "critical": (Impact.HIGH, Urgency.HIGH),
    "major": (Impact.HIGH, Urgency.MEDIUM),
    "minor": (Impact.MEDIUM, Urgency.MEDIUM),
    "warning": (Impact.LOW, Urgency.MEDIUM),
}


@contextmanager
def _one_processor():
    """True when this worker may process (PostgreSQL: a session advisory lock, released at the
    end, so each event still commits on its own and intake never waits for a batch)."""
    if connection.vendor != "postgresql":
        yield True  # SQLite serialises writers
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PROCESS_LOCK])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PROCESS_LOCK])


def events_process_pending(*, limit: int = 500) -> int:
    """Process up to `limit` pending events, oldest first, each in its own transaction;
    returns how many were done. Another worker already at it: 0 (it goes on until none is
    left)."""
    done = 0
    with _one_processor() as mine:
        if not mine:
            return 0
        kick_taken()  # before the read: what commits from now on asks a worker again
        ids = list(
            Event.objects.filter(processing=Processing.PENDING)
            .order_by("first_seen_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        _BATCH.update(rules=active_rules(), silences=active_silences(timezone.now()), major=set())
        try:
            while ids:
                # What needs no incident of its own (correlated under a root, dropped, kept as
                # information, silenced, held, nothing to do) is decided for a chunk at once;
                # the first event that opens or resolves an incident goes on its own.
                with transaction.atomic():
                    decided, alone = _process_chunk(ids[:CHUNK])
                done += decided
                ids = ids[decided:]
                if alone is not None:
                    with transaction.atomic():
                        event_process(event_id=alone)
                    done += 1
                    ids = ids[1:]
        finally:
            _BATCH.clear()
    return done


def _process_chunk(ids: list[int]) -> tuple[int, int | None]:
    """Decide the leading events of `ids` that open or resolve no incident (a recovery of an
    event with no incident of its own, such as a correlated child, is one of them), in one
    transaction with one UPDATE; returns how many were decided and the id of the first event
    that must be processed on its own (`event_process`), if any. The same decisions as
    `_decide`, with the reads made once for the chunk: the CIs, the flapping counts, the
    upstream walks, the roots on them, the CIs in maintenance."""
    events = {
        event.pk: event
        for event in Event.objects.select_for_update()
        .filter(pk__in=ids, processing=Processing.PENDING)
        .order_by("pk")
    }
    fresh = [
        event for event in events.values()
        if event.state == EventState.OPEN and event.incident_id is None and not event.parent_id
    ]  # fmt: skip
    fresh_ids = {event.pk for event in fresh}
    now = timezone.now()
    rules = [rule_for(event, _BATCH.get("rules")) for event in fresh]
    for event, rule, ci in zip(
        fresh, rules, cis_for(list(zip(fresh, rules, strict=True))), strict=True
    ):
        event.rule, event.configuration_item = rule, ci
    ci_ids = {event.configuration_item_id for event in fresh} - {None}
    distances = _BATCH.setdefault("distances", {})
    if missing := ci_ids - distances.keys():
        distances.update(graph.walk_distances_many(
            ci_ids=sorted(missing), direction=Direction.UPSTREAM, depth=graph.default_depth()
        ))  # fmt: skip
    in_maintenance = _BATCH.setdefault("maintenance", {})
    if missing := ci_ids - in_maintenance.keys():
        items = {
            event.configuration_item_id: event.configuration_item
            for event in fresh
            if event.configuration_item_id in missing
        }
        inside = cis_in_maintenance(cis=list(items.values()), at=now)
        in_maintenance.update({pk: pk in inside for pk in missing})
    maintenance = {pk for pk, inside in in_maintenance.items() if inside}
    roots: dict[int | None, list[Event]] = {}
    reachable = {pk for ci in ci_ids for pk in distances[ci]}
    if reachable:
        for root in _roots_on(reachable, exclude=0):
            roots.setdefault(root.configuration_item_id, []).append(root)
    flaps = _flap_counts(fresh, now)

    decided, alone, changed = 0, None, []
    touched: dict[int, tuple[Event, list[Event]]] = {}
    for event_id in ids:
        pending = events.get(event_id)
        if pending is not None:
            if pending.state == EventState.RESOLVED and pending.incident_id is not None:
                alone = event_id  # its incident resolves through the incident services
                break
            if pending.pk in fresh_ids:
                decision = _quick_decision(pending, now, maintenance, flaps, distances, roots)
                if decision is False:
                    alone = event_id
                    break
                if isinstance(decision, Event):
                    touched.setdefault(decision.pk, (decision, []))[1].append(pending)
            pending.processing, pending.error = Processing.DONE, ""
            changed.append(pending)
        decided += 1
    if changed:
        Event.objects.bulk_update(changed, ["rule", "configuration_item", "state", "parent",
                                            "processing", "error"])  # fmt: skip
    for root, children in touched.values():
        try:
            with transaction.atomic():
                _maybe_major(root)
        except (ValidationError, ApplicationError, PermissionDenied) as error:
            message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            Event.objects.filter(pk__in=[child.pk for child in children]).update(
                processing=Processing.FAILED, error=message[:2000])  # fmt: skip
    return decided, alone


def _quick_decision(event, now, maintenance, flaps, distances, roots) -> Event | bool | None:
    """`_decide` without opening an incident: sets the event's state (or parent) and returns
    its root (None: no root, decided), or False when it would open an incident."""
    rule = event.rule
    if rule is not None and rule.action == RuleAction.DROP:
        event.state = EventState.DROPPED
        return None
    if (rule is not None and rule.action == RuleAction.INFO) or (
        rule is None and event.severity not in RATING
    ):
        event.state = EventState.INFO
        return None
    if silenced(event, now, _BATCH.get("silences"), maintenance):
        event.state = EventState.SILENCED
        return None
    if flaps.get((event.source_id, event.fingerprint), 0) >= settings.EVENTS_FLAP_COUNT:
        event.state = EventState.HELD
        return None
    if event.configuration_item_id is None:
        return False
    reached = distances[event.configuration_item_id]
    candidates = [root for ci in reached for root in roots.get(ci, ())]
    if not candidates:
        return False
    root = min(candidates, key=lambda root: (reached[root.configuration_item_id], root.pk))
    event.parent = root
    return root


def _flap_counts(events: list[Event], now) -> dict[tuple[int, str], int]:
    """`_flapping`'s count for several events in one query: {(source, fingerprint): cleared}."""
    if not events:
        return {}
    since = now - timedelta(minutes=settings.EVENTS_FLAP_MINUTES)
    rows = (
        Event.objects.filter(
            source_id__in={event.source_id for event in events},
            fingerprint__in={event.fingerprint for event in events},
            state=EventState.RESOLVED, resolved_at__gte=since,
        )
        .values("source_id", "fingerprint")
        .annotate(cleared=Count("id"))
        .values_list("source_id", "fingerprint", "cleared")
    )  # fmt: skip
    return {(source, fingerprint): cleared for source, fingerprint, cleared in rows}


def event_process(*, event_id: int) -> Event | None:
    """One pending event, in its own savepoint: a failure (no support group, a refused
    incident) is kept on the event (`failed`, with the error) and can be retried."""
    try:
        with transaction.atomic():
            event = Event.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.processing != Processing.PENDING:
                return event
            if event.state == EventState.RESOLVED:
                _recovered(event)
            elif (
                event.state == EventState.OPEN and event.incident_id is None and not event.parent_id
            ):
                _decide(event)
            event.processing = Processing.DONE
            event.error = ""
            event.save()
            return event
    except (ValidationError, ApplicationError, PermissionDenied) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        Event.objects.filter(pk=event_id).update(processing=Processing.FAILED, error=message[:2000])
        return None


def _decide(event: Event, *, flapping_checked: bool = False) -> None:
    now = timezone.now()
    rule = rule_for(event, _BATCH.get("rules"))
    event.rule = rule
    event.configuration_item = ci_for(event, rule)
    if rule is not None and rule.action == RuleAction.DROP:
        event.state = EventState.DROPPED
        return
    if (rule is not None and rule.action == RuleAction.INFO) or (
        rule is None and event.severity not in RATING
    ):
        event.state = EventState.INFO
        return
    if silenced(event, now, _BATCH.get("silences")):
        event.state = EventState.SILENCED
        return
    if not flapping_checked and _flapping(event, now):
        event.state = EventState.HELD
        return
    root = _root_above(event)
    if root is not None:
        event.parent = root
        _maybe_major(root)
        return
    _open(event, rule=rule, actor=system_actor())
    _adopt_below(event)


def _flapping(event: Event, now) -> bool:
    """Fired and cleared EVENTS_FLAP_COUNT times in the last EVENTS_FLAP_MINUTES."""
    since = now - timedelta(minutes=settings.EVENTS_FLAP_MINUTES)
    cleared = Event.objects.filter(
        source_id=event.source_id, fingerprint=event.fingerprint, state=EventState.RESOLVED,
        resolved_at__gte=since,
    ).count()  # fmt: skip
    return cleared >= settings.EVENTS_FLAP_COUNT


def _roots_on(ci_ids, *, exclude: int) -> list[Event]:
    return list(
        Event.objects.filter(
            configuration_item_id__in=list(ci_ids), state__in=ACTIVE_STATES, parent__isnull=True,
            incident__isnull=False,
        ).exclude(pk=exclude)
    )  # fmt: skip


def _root_above(event: Event) -> Event | None:
    """The nearest active event with an incident on the CI itself or on one it depends on."""
    if event.configuration_item_id is None:
        return None
    walks = _BATCH.setdefault("walks", {})
    reached = walks.get(event.configuration_item_id)
    if reached is None:  # one walk per CI in a batch: a storm has several alerts per host
        reached = graph.walk(ci_id=event.configuration_item_id, direction=Direction.UPSTREAM,
                             depth=graph.default_depth())  # fmt: skip
        if "rules" in _BATCH:
            walks[event.configuration_item_id] = reached
    roots = _roots_on(reached, exclude=event.pk)
    if not roots:
        return None
    return min(roots, key=lambda root: (reached[root.configuration_item_id or 0][0], root.pk))


def _adopt_below(root: Event) -> None:
    """Events already open on CIs that depend on the root's CI go under it; their incidents
    become child incidents of the root's (resolved with it)."""
    if root.configuration_item_id is None or root.incident_id is None:
        return
    reached = graph.walk(ci_id=root.configuration_item_id, direction=Direction.DOWNSTREAM,
                         depth=graph.default_depth())  # fmt: skip
    below = set(reached) - {root.configuration_item_id}
    if not below:
        return
    orphans = Event.objects.filter(configuration_item_id__in=list(below), state__in=ACTIVE_STATES,
                                   parent__isnull=True).exclude(pk=root.pk)  # fmt: skip
    for orphan in orphans.order_by("pk"):
        orphan.parent = root
        orphan.save(update_fields=["parent"])
        if orphan.incident_id:
            incident = Incident.objects.only("status", "parent_id").get(pk=orphan.incident_id)
            if incident.status in (IncidentStatus.NEW, IncidentStatus.ASSIGNED,
                                   IncidentStatus.IN_PROGRESS, IncidentStatus.PENDING) and (
                incident.parent_id is None and not incident.children.exists()
            ):  # fmt: skip
                incidents.incident_update(incident_id=orphan.incident_id, actor=system_actor(),
                                          changes={"parent": root.incident})  # fmt: skip
    _maybe_major(root)


def _maybe_major(root: Event) -> None:
    """A root with EVENTS_MAJOR_INCIDENT_CHILDREN child events makes its incident a major
    incident candidate (flagged major: the desk's major-incident view shows it)."""
    major = _BATCH.get("major", set())
    if root.incident_id is None or root.incident_id in major:
        return
    children = Event.objects.filter(parent=root).count() + 1
    if children < settings.EVENTS_MAJOR_INCIDENT_CHILDREN:
        return
    incident = Incident.objects.only("major_incident", "status").get(pk=root.incident_id)
    major.add(incident.pk)
    if not incident.major_incident and incident.is_open:
        incidents.incident_update(incident_id=incident.pk, actor=system_actor(),
                                  changes={"major_incident": True})  # fmt: skip


def _description(event: Event) -> str:
    labels = "".join(
        f"<li><code>{escape(k)}</code>: {escape(v)}</li>" for k, v in sorted(event.labels.items())
    )
    text = escape(event.annotations.get("description") or event.summary)
    return f"<p>{text}</p><ul>{labels}</ul>"


def _open(event: Event, *, rule: EventRule | None, actor: Any) -> Incident:
    """The event's incident, through `incident_create` (the outage starts when the alert did)."""
    rated: tuple[str, str] = RATING.get(event.severity, (Impact.LOW, Urgency.LOW))
    impact, urgency = rated
    if rule is not None:
        impact, urgency = rule.impact or impact, rule.urgency or urgency
    ci = event.configuration_item
    fields: dict[str, Any] = {
        "title": (f"{event.host}: " if event.host else "") + (event.summary or event.service_name),
        "description": _description(event),
        "impact": impact,
        "urgency": urgency,
        "channel": Channel.MONITORING,
        "configuration_item": ci,
        "outage_started_at": event.first_seen_at,
    }
    fields["title"] = fields["title"][:200] or _("Monitoring alert")
    service = (rule.service if rule is not None else None) or (ci.service if ci else None)
    if service is not None:
        fields["service"] = service
    group = (rule.support_group if rule is not None else None) or (
        (ci.support_group or ci.owner_group) if ci else None
    )
    if group is not None:
        fields["support_group"] = group
    incident = incidents.incident_create(actor=actor, **fields)
    event.incident = incident
    event.save(update_fields=["incident", "rule", "configuration_item", "state", "parent"])
    return incident


def _recovered(event: Event) -> None:
    """The source says it is over: the outage ends; the incident is resolved by the system
    actor ("recovered"), unless an agent has it (then the agent is told instead)."""
    if event.incident_id is None:
        return
    incident = Incident.objects.get(pk=event.incident_id)
    if not incident.is_open:
        return
    actor = system_actor()
    end = max(
        event.resolved_at or timezone.now(), incident.outage_started_at or event.first_seen_at
    )
    incidents.incident_update(incident_id=incident.pk, actor=actor,
                              changes={"outage_ended_at": end})  # fmt: skip
    note = _("Monitoring reports %(what)s recovered at %(at)s.") % {
        "what": event.summary or event.service_name,
        "at": end.isoformat(timespec="seconds"),
    }
    if incident.assignee_id:
        incidents.incident_comment(incident_id=incident.pk, actor=actor, body=escape(note),
                                   visibility=Visibility.INTERNAL)  # fmt: skip
        notify(incident, RECOVERED_KIND, user_ids=[incident.assignee_id])
        return
    incidents.incident_transition(
        incident_id=incident.pk, actor=actor, target=IncidentStatus.RESOLVED,
        resolution_code=ResolutionCode.RECOVERED, resolution_notes=escape(note), note=note,
    )  # fmt: skip


def events_release_held(*, now=None) -> int:
    """Held (flapping) events that have fired without clearing for EVENTS_FLAP_MINUTES are
    stable: they go on as new events would (correlation, the incident). Returns how many."""
    now = now or timezone.now()
    stable = now - timedelta(minutes=settings.EVENTS_FLAP_MINUTES)
    released = 0
    ids = list(Event.objects.filter(state=EventState.HELD, first_seen_at__lte=stable)
               .values_list("pk", flat=True)[:500])  # fmt: skip
    for event_id in ids:
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            if event.state != EventState.HELD:
                continue
            event.state = EventState.OPEN
            _decide(event, flapping_checked=True)
            event.save()
            released += 1
    return released


@transaction.atomic
def event_open_incident(*, event_id: int, actor: Any) -> Incident:
    """An agent opens an incident for an event that has none (information, silenced, held,
    acknowledged): the agent is its actor and requester. TransitionNotAllowed (409) when the
    event has an incident, is correlated under another, or is resolved."""
    actor_required(actor)
    incidents.ensure_can_work(actor)
    event = Event.objects.select_for_update().get(pk=event_id)
    if event.incident_id or event.parent_id:
        raise TransitionNotAllowed(_("This event already has an incident."))
    if not event.is_active:
        raise TransitionNotAllowed(_("This event is resolved."))
    rule = event.rule
    if event.configuration_item_id is None:
        event.configuration_item = ci_for(event, rule)
    if event.state in (EventState.HELD, EventState.INFO, EventState.SILENCED, EventState.DROPPED):
        event.state = EventState.OPEN
    event.processing = Processing.DONE
    event.save(update_fields=["configuration_item", "state", "processing"])
    return _open(event, rule=rule, actor=actor)
