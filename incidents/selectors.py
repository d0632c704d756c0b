"""Reads on incidents: who may see which, the queues, and the record page."""

import copy
from typing import Any

from django.db import router
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

from accounts.roles import can_see_internal
from incidents.choices import OPEN_STATUSES, IncidentStatus
from incidents.models import Category, Incident
from servicedesk import memo
from servicedesk.planner import serial_plan
from servicedesk.scoping import requester_scope, staff_scope
from sla.selectors import breached_ids, breaching_soon_ids

# What a list row (queue page, API list) needs, in one query: the row's own columns and the
# names of five relations. Everything else stays in the database.
LIST_RELATED = ("requester", "assignee", "support_group", "category", "subcategory")
LIST_COLUMNS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "impact",
    "urgency",
    "major_incident",
    "channel",
    "created_at",
    "updated_at",
    "version",
    *(name for relation in LIST_RELATED for name in (relation, f"{relation}__id")),
    "requester__full_name",
    "assignee__full_name",
    "support_group__name",
    "category__name",
    "subcategory__name",
)


def as_list_rows(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    return incidents.select_related(*LIST_RELATED).only(*LIST_COLUMNS)


def queue_rows(incidents: list[Any], *, detail_base: str) -> list[dict[str, Any]]:
    """What each row of a queue page shows, worked out in one pass: plain strings in a dict per
    row, so the template reads each with one lookup. Rendering the model instances through the
    template (related names, `get_status_display`, the date filters, an include for the badges)
    was most of the page's time. Dates in the active time zone and language; the rows must
    have been through `queue_annotate` (and `queue_cells` for custom columns)."""
    status_labels = {value: str(label) for value, label in IncidentStatus.choices}
    select = gettext("Select %(number)s")
    zone = timezone.get_current_timezone()
    rows = []
    for incident in incidents:
        number = incident.number
        created = incident.created_at
        rows.append(
            {
                "pk": incident.pk,
                "number": number,
                "url": f"{detail_base}{number}/",
                "select": select % {"number": number},
                "major": incident.major_incident,
                "badges": incident.queue_badges,
                "priority": incident.priority,
                "title": incident.title,
                "category": incident.category.name if incident.category_id else "",
                "status": incident.status,
                "status_label": status_labels.get(incident.status, incident.status),
                "requester": incident.requester.full_name,
                "group": incident.support_group.name if incident.support_group_id else "",
                "assignee": incident.assignee.full_name if incident.assignee_id else "",
                "opened": formats.date_format(timezone.localtime(created, zone), "DATETIME_FORMAT"),
                "age": timesince(created),
                "custom_cells": getattr(incident, "custom_cells", ()),
            }
        )
    return rows


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Staff see every incident; anyone else sees the incidents they asked for. With scoped
    visibility on, within the organisations each one may see (servicedesk/scoping.py)."""
    if not user.is_authenticated:
        return Incident.objects.none()
    if can_see_internal(user):
        return Incident.objects.filter(staff_scope(user))
    return Incident.objects.filter(requester_scope(user))


QUEUES = {
    # name: (label, filter given the user)
    "mine": lambda user: {"assignee": user, "status__in": OPEN_STATUSES},
    "unassigned": lambda user: {
        "support_group__in": user.support_groups.all() | user.led_groups.all(),
        "assignee__isnull": True,
        "status__in": OPEN_STATUSES,
    },
    "open": lambda user: {"status__in": OPEN_STATUSES},
    "major": lambda user: {"major_incident": True, "status__in": OPEN_STATUSES},
    # Driven by the timers' index on due_at: a few hundred ids, whatever the table size.
    "breaching": lambda user: {"pk__in": breaching_soon_ids(Incident), "status__in": OPEN_STATUSES},
    "breached": lambda user: {"pk__in": breached_ids(Incident), "status__in": OPEN_STATUSES},
    "all": lambda user: {},
}


def incident_queue(*, user, queue: str) -> QuerySet[Incident]:
    """One of the agent queues, before the user's own filters and sort."""
    criteria = QUEUES.get(queue, QUEUES["open"])(user)
    return incidents_visible_to(user).filter(**criteria)


def incident_for_page(*, user, number: str) -> Incident:
    """The incident with what its page shows, in one query (raises DoesNotExist)."""
    # Six small joins; the rarely set service, CI and parent are loaded on their own: an 11-table
    # join costs PostgreSQL more to plan (3-7 ms) than it saves. Password hashes stay unloaded.
    person = ("id", "full_name", "email", "phone")
    only = [
        *[f.name for f in Incident._meta.concrete_fields],
        *[f"requester__{name}" for name in person],
        *[f"assignee__{name}" for name in person],
        "support_group__id",
        "support_group__name",
        "support_group__lead_id",
        "organisation__id",
        "organisation__name",
        "category__id",
        "category__name",
        "subcategory__id",
        "subcategory__name",
    ]
    return (
        incidents_visible_to(user)
        .select_related(
            "requester", "assignee", "support_group", "organisation", "category", "subcategory"
        )
        .only(*only)
        .get(number=number)
    )


QUEUE_SIZE_CAP = 100


def incident_queue_sizes(*, user) -> list[dict]:
    """The workspace's queue cards: how many incidents each holds, counted up to a cap so the
    count stays one short index scan at any table size ("100+" beyond it)."""
    from django.utils.translation import gettext as _

    labels = [
        ("mine", _("My work")),
        ("unassigned", _("My groups' unassigned")),
        ("breaching", _("Breaching soon")),
        ("breached", _("Breached")),
        ("major", _("Major incidents")),
        ("open", _("All open")),
    ]
    sizes = []
    with serial_plan(router.db_for_read(Incident)):
        for key, label in labels:
            # In the queue page's own order: the count walks the open-incident index the page
            # walks. Unordered, PostgreSQL merge-joins the timers with the whole primary key
            # (0.2 s at 1M). Serial: see servicedesk/planner.py.
            queue = incident_queue(user=user, queue=key).order_by("priority", "created_at")
            capped = queue.values("pk")[: QUEUE_SIZE_CAP + 1]
            count = capped.count()
            shown = f"{QUEUE_SIZE_CAP}+" if count > QUEUE_SIZE_CAP else str(count)
            sizes.append({"key": key, "label": label, "shown": shown})
    return sizes


def category_get(pk) -> Category | None:
    """A category (with its parent) by id, from the tree kept in each process
    (`servicedesk.memo`): a copy the caller may keep on a record. None for an unknown id."""
    category = memo.reference("incidents:categories", _category_tree).get(pk)
    return copy.copy(category) if category is not None else None


def _category_tree() -> dict[int, Category]:
    tree = {category.pk: category for category in Category.objects.all()}
    for category in tree.values():
        if category.parent_id is not None:
            category.parent = tree[category.parent_id]
    return tree
