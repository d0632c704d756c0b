"""Reads of event management: who sees the console, the events list, one event, and the
incident timeline's mark of how often its alert fired."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.roles import USE_WORKSPACE
from events.models import Event

VIEW_PERMISSION = "incidents.view_incident"


def can_view(user) -> bool:
    """Agents (whoever reads incidents) see the console; nobody else does."""
    return bool(user.is_authenticated and user.has_perm(VIEW_PERMISSION)
                and user.has_perm(USE_WORKSPACE))  # fmt: skip


def events_visible_to(user) -> QuerySet[Event]:
    """Every event for staff, none for anyone else (an event names hosts, not people)."""
    if not can_view(user):
        return Event.objects.none()
    return Event.objects.select_related("source", "configuration_item", "incident", "parent")


def event_get(*, user, pk) -> Event:
    """One event, or Event.DoesNotExist (a 404) for whoever may not see it."""
    return events_visible_to(user).get(pk=pk)


def timeline_alert_annotate(*, record, events: list, comments: list) -> None:
    """The "created" row of an incident opened from monitoring says how often its alert has
    fired and when last (`via_monitoring`), read from the event: repeats update the event, not
    the timeline. One query, only for monitoring incidents."""
    if getattr(record, "channel", "") != "monitoring" or record._meta.label != "incidents.Incident":
        return
    event = Event.objects.filter(incident_id=record.pk).order_by("-pk").first()
    if event is None:
        return
    children = event.children.count()
    text = _("alert %(name)s, fired %(count)d×, last %(last)s") % {
        "name": event.service_name or event.fingerprint[:12], "count": event.count,
        "last": event.last_seen_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    }  # fmt: skip
    if children:
        text += " · " + _("%(n)d correlated events") % {"n": children}
    for row in events:
        if row.kind == "created":
            row.via_monitoring = text
