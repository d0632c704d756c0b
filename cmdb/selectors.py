"""Every non-trivial read of the CMDB: CI lists, a CI page's links, impact analysis, baselines.

Who may read: anyone with `cmdb.view_configurationitem` (agents and up) sees every CI; end users
see none. Views and the API check that permission before calling these.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cmdb import graph
from cmdb.choices import Direction
from cmdb.models import (
    AttributeDefinition,
    Baseline,
    CIClass,
    ConfigurationItem,
    ImpactProposal,
    Relationship,
)
from servicedesk import registry

VIEW_PERMISSION = "cmdb.view_configurationitem"
EDIT_PERMISSION = "cmdb.change_configurationitem"
GRAPH_NODE_LIMIT = 300
# How far back incidents count when telling which organisations and users a service has.
SERVICE_USERS_WINDOW = timedelta(days=90)


def can_view(user) -> bool:
    return user.is_authenticated and user.has_perm(VIEW_PERMISSION)


def can_edit(user) -> bool:
    return user.is_authenticated and user.has_perm(EDIT_PERMISSION)


def ci_list(*, user, filters: dict | None = None) -> QuerySet[ConfigurationItem]:
    """CIs the user may see, with what a list row shows already joined."""
    if not can_view(user):
        return ConfigurationItem.objects.none()
    return ConfigurationItem.objects.select_related(
        "ci_class", "owner_group", "location", "service"
    ).order_by("name")


def ci_get(*, user, pk) -> ConfigurationItem:
    """One CI for its page; DoesNotExist when missing or not visible (answer 404)."""
    return ci_list(user=user).select_related("support_group").get(pk=pk)


def class_attributes(ci_class: CIClass | None) -> list[AttributeDefinition]:
    if ci_class is None:
        return []
    return list(ci_class.attributes.select_related("reference_class").order_by("order", "id"))


def ci_attribute_rows(ci: ConfigurationItem) -> list[dict[str, Any]]:
    """The CI's typed attributes for display: label, value shown (references by name)."""
    definitions = class_attributes(ci.ci_class)
    ref_ids = [ci.attributes.get(d.code) for d in definitions if d.type == "reference"]
    names = dict(
        ConfigurationItem.objects.filter(pk__in=[i for i in ref_ids if i]).values_list("pk", "name")
    )
    rows = []
    for definition in definitions:
        value = ci.attributes.get(definition.code)
        shown = names.get(value, value) if definition.type == "reference" else value
        rows.append({"definition": definition, "value": value, "shown": shown})
    return rows


RELATIONSHIPS_SHOWN = 200


def ci_relationships(*, ci: ConfigurationItem) -> dict[str, Any]:
    """The CI's own relationships both ways: what it needs ("outgoing") and what needs it, the
    first RELATIONSHIPS_SHOWN of each and how many there are (a core switch has thousands)."""
    related = ("source__ci_class", "target__ci_class")
    outgoing = ci.outgoing.select_related(*related).order_by("type", "target__name")
    incoming = ci.incoming.select_related(*related).order_by("type", "source__name")
    result: dict[str, Any] = {}
    for key, rows in (("outgoing", outgoing), ("incoming", incoming)):
        shown = list(rows[: RELATIONSHIPS_SHOWN + 1])
        result[key] = shown[:RELATIONSHIPS_SHOWN]
        result[f"{key}_more"] = (
            rows.count() - RELATIONSHIPS_SHOWN if len(shown) > RELATIONSHIPS_SHOWN else 0
        )
    return result


# --- Records that point at a CI --------------------------------------------------------------


@dataclass(frozen=True)
class LinkedRecord:
    kind: str
    number: str
    title: str
    status: str
    status_label: str
    url: str
    created_at: Any


def impact_choices() -> list[tuple[str, str]]:
    """The impact scale an incident's proposal is decided on (the administrator's impact scale,
    highest first, which the incident model serves)."""
    return list(registry.get("incident").model_class.impact_choices())


def on_impact_scale(proposed: str) -> str:
    """A proposal's high/medium/low on the desk's impact scale: the same code when the scale
    has it, else its top, middle or bottom level."""
    codes = [code for code, _label in impact_choices()]
    if proposed in codes or not codes:
        return proposed
    return codes[{"high": 0, "medium": len(codes) // 2}.get(proposed, len(codes) - 1)]


def proposals_visible_to(user):
    """Impact proposals on the incidents the person sees (the incidents' own selector)."""
    visible = registry.get("incident").visible(user).values("pk")
    return ImpactProposal.objects.filter(incident_id__in=visible)


LinkedRecordSource = Callable[..., list[LinkedRecord]]
LINKED_RECORD_SOURCES: list[LinkedRecordSource] = []


def linked_record_source(function: LinkedRecordSource) -> LinkedRecordSource:
    """Register a function (ci, user, limit) -> [LinkedRecord]: problems and changes add theirs
    when their models arrive, and the CI page lists them beside the incidents."""
    LINKED_RECORD_SOURCES.append(function)
    return function


@linked_record_source
def _registered_on(*, ci, user, limit: int) -> list[LinkedRecord]:
    """The records of every registered type that names a CI (`ci_field`) and the person may view."""
    records: list[LinkedRecord] = []
    for record_type in registry.all_types():
        if not record_type.ci_field:
            continue
        if record_type.view_permission and not user.has_perm(record_type.view_permission):
            continue
        rows = (
            record_type.model_class.objects.filter(**{record_type.ci_field: ci})
            .only("number", "title", "status", "created_at")
            .order_by("-created_at")[:limit]
        )
        records += [
            LinkedRecord(record_type.key, r.number, r.title, r.status, r.get_status_display(),
                         reverse(record_type.detail_url_name, args=[r.number]), r.created_at)
            for r in rows
        ]  # fmt: skip
    return records


def ci_linked_records(*, ci: ConfigurationItem, user, limit: int = 50) -> list[LinkedRecord]:
    """Incidents (and, as they arrive, problems and changes) on the CI, newest first."""
    records: list[LinkedRecord] = []
    for source in LINKED_RECORD_SOURCES:
        records += source(ci=ci, user=user, limit=limit)
    return sorted(records, key=lambda r: r.created_at, reverse=True)[:limit]


# --- Impact analysis --------------------------------------------------------------------------


@dataclass
class ImpactNode:
    ci: ConfigurationItem
    depth: int


@dataclass
class ServiceImpact:
    ci: ConfigurationItem
    depth: int
    organisations: int = 0
    users: int | None = None


@dataclass
class Impact:
    root: ConfigurationItem
    direction: str
    depth: int
    total: int  # CIs reached, the root excluded
    nodes: list[ImpactNode] = field(
        default_factory=list
    )  # the first GRAPH_NODE_LIMIT, nearest first
    edges: list[tuple[int, int, str]] = field(default_factory=list)
    services: list[ServiceImpact] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.total + 1 > len(self.nodes)


def impact_of(*, ci: ConfigurationItem, direction: str = Direction.DOWNSTREAM,
              depth: int | None = None, limit: int = GRAPH_NODE_LIMIT) -> Impact:  # fmt: skip
    """What a CI's failure reaches (downstream) or what it needs (upstream) within `depth` hops
    (`graph.default_depth()` when not given).

    One statement for the walk (on PostgreSQL the walk runs in the database and answers only the
    count, the nearest `limit` CIs and the business services: see cmdb.graph.impact_summary),
    one for those CIs' rows, one for the edges among them, and for downstream one for the
    business services' users.
    """
    if depth is None:
        depth = graph.default_depth()
    summary = graph.impact_summary(ci_id=ci.pk, direction=direction, depth=depth, limit=limit)
    shown_ids = [pk for pk, _distance in summary.nearest]
    rows = ConfigurationItem.objects.select_related("ci_class", "service").in_bulk(
        set(shown_ids) | {pk for pk, _distance in summary.services}
    )
    impact = Impact(root=ci, direction=direction, depth=depth, total=summary.total - 1)
    impact.nodes = [ImpactNode(rows[pk], d) for pk, d in summary.nearest if pk in rows]
    impact.edges = graph.edges_between(shown_ids)
    services = [ServiceImpact(rows[pk], d) for pk, d in summary.services if pk in rows]
    if direction == Direction.DOWNSTREAM:
        _count_service_users(services)
    impact.services = sorted(services, key=lambda s: (-s.ci.criticality, s.depth, s.ci.name))
    return impact


def _count_service_users(services: list[ServiceImpact]) -> None:
    """Who a business service serves: the organisations and people that logged incidents on its
    catalogue service lately; a "users" attribute on the CI, when set, gives the head count."""
    Incident = registry.get("incident").model_class  # noqa: N806

    catalogue_ids = {s.ci.service_id for s in services if s.ci.service_id}
    counts: dict[int | None, Any] = {}
    if catalogue_ids:
        counts = {
            row["service_id"]: row
            for row in Incident.objects.filter(
                service_id__in=catalogue_ids,
                created_at__gte=timezone.now() - SERVICE_USERS_WINDOW,
            )
            .values("service_id")
            .annotate(
                orgs=Count("organisation", distinct=True), people=Count("requester", distinct=True)
            )
        }
    for service in services:
        row = counts.get(service.ci.service_id, {})
        service.organisations = row.get("orgs", 0)
        declared = service.ci.attributes.get("users")
        service.users = int(declared) if isinstance(declared, int | float) else row.get("people")


def impact_as_json(impact: Impact) -> dict[str, Any]:
    """The shape the graph page and the API read."""

    def node(ci, depth):
        return {
            "id": ci.pk,
            "name": ci.name,
            "class": ci.ci_class.name if ci.ci_class_id else "",
            "class_code": ci.ci_class.code if ci.ci_class_id else "",
            "business_service": bool(ci.ci_class_id and ci.ci_class.is_business_service),
            "status": ci.status,
            "criticality": ci.criticality,
            "depth": depth,
            "url": reverse("cmdb:ci_detail", args=[ci.pk]),
        }

    return {
        "root": impact.root.pk,
        "direction": str(impact.direction),
        "depth": impact.depth,
        "total": impact.total,
        "truncated": impact.truncated,
        "nodes": [node(n.ci, n.depth) for n in impact.nodes],
        "edges": [{"source": s, "target": t, "type": k} for s, t, k in impact.edges],
        "business_services": [
            {**node(s.ci, s.depth), "organisations": s.organisations, "users": s.users}
            for s in impact.services
        ],
    }


# --- Baselines ------------------------------------------------------------------------------


def baseline_scope(ci_class: CIClass | None) -> QuerySet[ConfigurationItem]:
    """The CIs a baseline of this class (or of everything) covers: all but retired ones."""
    items = ConfigurationItem.objects.exclude(status="retired")
    return items.filter(ci_class=ci_class) if ci_class is not None else items


def ci_snapshot_map(items: QuerySet[ConfigurationItem]) -> dict[int, dict]:
    """{CI id: its comparable state}: fields, attributes and outgoing relationships."""
    snapshots = {}
    for ci in items.select_related("ci_class", "owner_group", "location"):
        snapshots[ci.pk] = {
            "name": ci.name,
            "class": ci.ci_class.code if ci.ci_class is not None else "",
            "status": ci.status,
            "criticality": ci.criticality,
            "environment": ci.environment,
            "location": ci.location.name if ci.location is not None else "",
            "owner_group": ci.owner_group.name if ci.owner_group is not None else "",
            "attributes": ci.attributes,
            "relationships": [],
        }
    for source, kind, target in (
        Relationship.objects.filter(source_id__in=snapshots)
        .order_by("type", "target__name")
        .values_list("source_id", "type", "target__name")
    ):
        snapshots[source]["relationships"].append(f"{kind} {target}")
    return snapshots


@dataclass
class BaselineDiff:
    added: list[dict]
    removed: list[dict]
    changed: list[dict]  # {"id", "name", "fields": [(field, then, now)]}
    unchanged: int


def baseline_diff(*, baseline: Baseline) -> BaselineDiff:
    """The baseline against the CMDB now: CIs added to its scope, gone from it, and changed."""
    then = {item.ci_id_value: item.snapshot for item in baseline.items.all()}
    now = ci_snapshot_map(baseline_scope(baseline.ci_class))
    # A CI that left the scope (retired, reclassified) is still compared if it exists.
    missing = [pk for pk in then if pk not in now]
    now.update(ci_snapshot_map(ConfigurationItem.objects.filter(pk__in=missing)))
    added = [{"id": pk, **snap} for pk, snap in now.items() if pk not in then]
    removed, changed, unchanged = [], [], 0
    for pk, old in then.items():
        new = now.get(pk)
        if new is None:
            removed.append({"id": pk, **old})
            continue
        fields = []
        for key in sorted(set(old) | set(new)):
            if key == "attributes":
                for code in sorted(set(old.get(key, {})) | set(new.get(key, {}))):
                    a, b = old.get(key, {}).get(code), new.get(key, {}).get(code)
                    if a != b:
                        fields.append((f"attributes.{code}", a, b))
            elif old.get(key) != new.get(key):
                fields.append((key, old.get(key), new.get(key)))
        if fields:
            changed.append({"id": pk, "name": new["name"], "fields": fields})
        else:
            unchanged += 1
    return BaselineDiff(
        added=sorted(added, key=lambda r: r["name"]),
        removed=sorted(removed, key=lambda r: r["name"]),
        changed=sorted(changed, key=lambda r: r["name"]),
        unchanged=unchanged,
    )


def search_filter(text: str) -> Q:
    return Q(name__icontains=text) | Q(description__icontains=text)


def ci_options(text: str, *, limit: int = 20) -> list[ConfigurationItem]:
    """Active CIs whose name matches, for the search box of a CI field: names that start with
    the text first, then the others, alphabetically."""
    text = text.strip()
    if not text:
        return []
    matches = ConfigurationItem.objects.filter(is_active=True, name__icontains=text)
    starts = list(matches.filter(name__istartswith=text).order_by("name")[:limit])
    if len(starts) < limit:
        rest = matches.exclude(pk__in=[ci.pk for ci in starts]).order_by("name")
        starts += list(rest[: limit - len(starts)])
    return starts
