"""Collision detection through the CMDB: what a change's window and CIs run into.

- **Other changes** whose windows overlap and whose CIs are the same CIs or connected to them
  (either way) within the scheduling policy's depth: the path between the two CIs tells how.
- **Blackout windows** overlapping the change: one for everything, or one on a service the
  change names or its CIs reach downstream (what needs them) within the depth.
- **Maintenance windows** of such services overlapping the change.

The windowed changes' CIs and the windows' services' CIs are the targets of one bounded search
each (`cmdb.paths.paths_to`), so the cost follows the few changes in the window, not the estate
a core switch carries. Used when a change is scheduled (blackouts refuse it unless it is an
emergency, `changes.scheduling`), on the change page and the calendar, in the CAB's approval
summary and by `/api/v1/changes/{number}/collisions/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from changes.choices import ChangeStatus
from changes.models import BlackoutWindow, Change, MaintenanceWindow, SchedulingPolicy
from changes.windows import DEFAULT_COLLISION_DEPTH
from cmdb.choices import Direction
from cmdb.models import ConfigurationItem
from cmdb.paths import Path, names_of, paths_to

# Changes whose planned window still matters to another change: not finished, not dropped.
WINDOWED_STATUSES = (
    ChangeStatus.REQUESTED,
    ChangeStatus.ASSESSED,
    ChangeStatus.AUTHORISED,
    ChangeStatus.SCHEDULED,
    ChangeStatus.IMPLEMENTING,
)


class Kind:
    CHANGE = "change"
    BLACKOUT = "blackout"
    MAINTENANCE = "maintenance"


@dataclass
class Step:
    """A CI on a path, or the relationship between two (`relation` set, `ci` None)."""

    ci: ConfigurationItem | None = None
    relation: str = ""


@dataclass
class Collision:
    """One conflict: another change, a blackout or a maintenance window, with the path from
    one of this change's CIs to what it collides with (empty when no CI is involved: a freeze
    on everything, or a service the change names itself)."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    steps: list[Step] = field(default_factory=list)
    change: Change | None = None
    window: BlackoutWindow | MaintenanceWindow | None = None
    service: Any = None

    @property
    def hops(self) -> int:
        return sum(1 for step in self.steps if step.ci is None)

    @property
    def summary(self) -> str:
        """One sentence for the timeline, a refusal or the approver."""
        path = " → ".join(
            step.ci.name if step.ci is not None else step.relation for step in self.steps
        )
        if self.kind == Kind.CHANGE and self.change is not None:
            text = _("Collides with %(number)s “%(title)s”") % {
                "number": self.change.number,
                "title": self.change.title,
            }
        elif self.kind == Kind.BLACKOUT and self.window is not None:
            if self.service is None:
                text = _("Inside the blackout “%(name)s” for every change: %(reason)s") % {
                    "name": self.window.name,
                    "reason": getattr(self.window, "reason", ""),
                }
            else:
                text = _("Inside the blackout “%(name)s” of %(service)s: %(reason)s") % {
                    "name": self.window.name,
                    "service": self.service,
                    "reason": getattr(self.window, "reason", ""),
                }
        else:
            text = _("Inside the maintenance window “%(name)s” of %(service)s") % {
                "name": self.window.name if self.window else "",
                "service": self.service,
            }
        return f"{text} ({path})" if path else text


def collision_depth() -> int:
    """The depth the administrator set (the scheduling policy), else the default."""
    depth = SchedulingPolicy.objects.filter(pk=1).values_list("collision_depth", flat=True).first()
    return DEFAULT_COLLISION_DEPTH if depth is None else int(depth)


def changes_overlapping(
    *, starts_at: datetime, ends_at: datetime, exclude: int | None = None
) -> QuerySet[Change]:
    """Changes with a window overlapping [starts_at, ends_at) that still matter."""
    rows = Change.objects.filter(
        planned_start__lt=ends_at, planned_end__gt=starts_at, status__in=WINDOWED_STATUSES
    )
    return rows.exclude(pk=exclude) if exclude is not None else rows


def windows_overlapping(model, *, starts_at: datetime, ends_at: datetime) -> QuerySet[Any]:
    """Active blackout or maintenance windows overlapping [starts_at, ends_at)."""
    return model.objects.filter(
        is_active=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).select_related("service")


def _steps(path: Path, cis: dict[int, ConfigurationItem]) -> list[Step]:
    steps = [Step(ci=cis[path.nodes[0]])]
    for hop in path.hops:
        steps += [Step(relation=hop.label), Step(ci=cis[hop.end_id])]
    return steps


def collisions_for(change: Change, *, depth: int | None = None) -> list[Collision]:
    """Everything the change's planned window and CIs collide with, nearest first (no window:
    nothing). Queries: the policy, the change's CIs, the windowed changes and their CIs, the two
    kinds of windows, the change's services and the windows' services' CIs, one or two per
    level of each search (a level either way is two), the relationships along the paths and
    the CIs on them: about 20 at depth 3, whatever the number of changes and CIs.
    """
    start, end = change.planned_start, change.planned_end
    if start is None or end is None or end <= start:
        return []
    depth = collision_depth() if depth is None else depth
    own = set(change.configuration_items.values_list("pk", flat=True))
    found: list[tuple[Collision, Path | None]] = []

    # The ids of the changes in the window (the window index alone), then their CIs by id
    # (a join would be planned on the estimate of a range overlap, thousands of rows where
    # there are tens); the changes themselves are read for those that collide only.
    by_ci: dict[int, list[int]] = {}
    windowed = (
        list(
            changes_overlapping(starts_at=start, ends_at=end, exclude=change.pk).values_list(
                "pk", flat=True
            )
        )
        if own
        else []
    )
    if windowed:
        through = Change.configuration_items.through.objects.filter(change_id__in=windowed)
        for change_id, ci_id in through.values_list("change_id", "configurationitem_id"):
            by_ci.setdefault(ci_id, []).append(change_id)
    best: dict[int, Path] = {}
    for ci_id, path in paths_to(sources=own, targets=by_ci, depth=depth).items():
        for change_id in by_ci[ci_id]:
            if change_id not in best or path.length < best[change_id].length:
                best[change_id] = path
    others = Change.objects.in_bulk(list(best)) if best else {}
    for change_id, path in best.items():
        other = others[change_id]
        found.append(
            (
                Collision(
                    kind=Kind.CHANGE,
                    starts_at=max(start, other.planned_start or start),
                    ends_at=min(end, other.planned_end or end),
                    change=other,
                ),
                path,
            )
        )

    windows = [
        *windows_overlapping(BlackoutWindow, starts_at=start, ends_at=end),
        *windows_overlapping(MaintenanceWindow, starts_at=start, ends_at=end),
    ]
    if windows:
        named = set(change.services.values_list("pk", flat=True))
        service_ids = {w.service_id for w in windows if w.service_id is not None}
        ci_service = dict(
            ConfigurationItem.objects.filter(service_id__in=service_ids).values_list(
                "pk", "service_id"
            )
        )
        reached: dict[int, Path] = {}  # service id: the shortest path to one of its CIs
        for ci_id, to_service in paths_to(
            sources=own, targets=ci_service, depth=depth, direction=Direction.DOWNSTREAM
        ).items():
            service_id = ci_service[ci_id]
            if service_id not in reached or to_service.length < reached[service_id].length:
                reached[service_id] = to_service
        for window in windows:
            kind = Kind.BLACKOUT if isinstance(window, BlackoutWindow) else Kind.MAINTENANCE
            if window.service_id is not None and window.service_id not in named | reached.keys():
                continue
            on_path = None if window.service_id in named else reached.get(window.service_id)
            collision = Collision(
                kind=kind,
                starts_at=max(start, window.starts_at),
                ends_at=min(end, window.ends_at),
                window=window,
                service=window.service,
            )
            found.append((collision, on_path))

    cis = names_of(p for _c, p in found if p is not None)
    for collision, shown in found:
        if shown is not None:
            collision.steps = _steps(shown, cis)
    order = {Kind.BLACKOUT: 0, Kind.CHANGE: 1, Kind.MAINTENANCE: 2}
    collisions = [collision for collision, _p in found]
    collisions.sort(key=lambda c: (order[c.kind], c.hops, c.starts_at, c.summary))
    return collisions


def blackouts_refusing(change: Change, collisions: list[Collision] | None = None) -> list[str]:
    """The blackouts that refuse the change's window, as sentences (an emergency is never
    refused: it is warned instead)."""
    if collisions is None:
        collisions = collisions_for(change)
    return [c.summary for c in collisions if c.kind == Kind.BLACKOUT]


def collision_json(collision: Collision) -> dict[str, Any]:
    """The API's shape of one collision."""
    other = collision.change
    window = collision.window
    return {
        "kind": collision.kind,
        "starts_at": collision.starts_at,
        "ends_at": collision.ends_at,
        "summary": collision.summary,
        "change": None
        if other is None
        else {
            "number": other.number,
            "title": other.title,
            "status": other.status,
            "planned_start": other.planned_start,
            "planned_end": other.planned_end,
        },
        "window": None
        if window is None
        else {
            "name": window.name,
            "reason": getattr(window, "reason", ""),
            "starts_at": window.starts_at,
            "ends_at": window.ends_at,
        },
        "service": None
        if collision.service is None
        else {"id": collision.service.pk, "name": str(collision.service)},
        "path": [
            {"ci": {"id": step.ci.pk, "name": step.ci.name}}
            if step.ci is not None
            else {"relation": step.relation}
            for step in collision.steps
        ],
    }
