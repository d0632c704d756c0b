"""Writes of the priority data (the impact x urgency matrix and its levels) and what follows
from them: the open incidents re-prioritised, each change audited on the incident and its SLA
timers re-targeted through the same path as a priority change made on the incident.

The admin (and any API) calls these. An edit writes a PendingReprioritisation row in its own
transaction and asks a worker after the commit; with the broker down the beat's catch-up run
(`pending_reprioritisations_run`) does it.
"""

import functools
import operator
from datetime import timedelta

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.choices import OPEN_STATUSES
from incidents.models import Incident, PendingReprioritisation, PriorityLevel, PriorityMatrixCell
from incidents.priority import forget_priority_data
from incidents.records import INCIDENT
from servicedesk import jobs
from servicedesk import services as kernel
from servicedesk.actors import system_actor
from servicedesk.exceptions import ApplicationError
from servicedesk.jobs import enqueue_on_commit
from sla import services as sla

# How long a claimed re-prioritisation may take before the catch-up run takes it over.
CLAIM_SECONDS = 600
_CLAIM = timedelta(seconds=CLAIM_SECONDS)


class PriorityLevelInUse(ApplicationError):
    """A priority level still given to records (or the matrix, or an SLA policy) is kept."""

    status_code = 409


@transaction.atomic
def priority_cell_save(*, cell: PriorityMatrixCell, actor) -> PriorityMatrixCell:
    """Save a matrix cell (validated by the caller); the open incidents are re-prioritised
    after the commit (`reprioritise_request`)."""
    cell.save()
    forget_priority_data()
    transaction.on_commit(forget_priority_data)
    reprioritise_request(actor=actor)
    return cell


@transaction.atomic
def priority_level_save(*, level: PriorityLevel, actor) -> PriorityLevel:
    """Save a priority level (its number is fixed once created: records refer to it); the
    open incidents are re-prioritised after the commit, as after a matrix edit."""
    if level.pk is not None:
        stored = PriorityLevel.objects.select_for_update().get(pk=level.pk)
        if stored.level != level.level:
            raise ApplicationError(
                _("A priority level keeps its number; add a new level instead."),
                errors={"level": [_("A priority level keeps its number.")]},
            )
    level.save()
    forget_priority_data()
    transaction.on_commit(forget_priority_data)
    reprioritise_request(actor=actor)
    return level


def priority_level_uses(level: int) -> list[str]:
    """What still uses a priority level, as sentences for the admin and the API (empty: free).
    Incidents and service requests of any status count: their pages show the level's name."""
    uses = []
    counted = [
        (Incident.objects.filter(priority=level), "%(count)d incident", "%(count)d incidents"),
        (
            apps.get_model("catalogue", "ServiceRequest").objects.filter(priority=level),
            "%(count)d service request",
            "%(count)d service requests",
        ),
        (
            apps.get_model("sla", "SlaPolicy").objects.filter(priority=level),
            "%(count)d SLA policy",
            "%(count)d SLA policies",
        ),
        (
            PriorityMatrixCell.objects.filter(priority_id=level),
            "%(count)d cell of the priority matrix",
            "%(count)d cells of the priority matrix",
        ),
    ]
    for rows, singular, plural in counted:
        count = rows.count()
        if count:
            uses.append(ngettext(singular, plural, count) % {"count": count})
    return uses


@transaction.atomic
def priority_level_delete(*, level: PriorityLevel, actor) -> None:
    """Delete a priority level nothing uses any more. The level's row is locked first, so it
    is checked and deleted as one step. Raises PriorityLevelInUse (409) naming the uses."""
    locked = PriorityLevel.objects.select_for_update().filter(pk=level.pk).first()
    if locked is None:
        return
    uses = priority_level_uses(locked.level)
    if uses:
        raise PriorityLevelInUse(
            _("%(level)s is still used by %(uses)s; it cannot be deleted.")
            % {"level": locked, "uses": ", ".join(uses)}
        )
    locked.delete()
    forget_priority_data()
    transaction.on_commit(forget_priority_data)


def reprioritise_request(*, actor) -> PendingReprioritisation:
    """Record that the open incidents must be re-prioritised and ask a worker after the commit.
    An edit made while a request is still waiting joins it (one run sees every edit)."""
    from incidents.tasks import reprioritise_incidents_task

    waiting = PendingReprioritisation.objects.filter(claimed_at__isnull=True).first()
    if waiting is not None:
        return waiting
    pending = PendingReprioritisation.objects.create(requested_by=actor)
    enqueue_on_commit(reprioritise_incidents_task, pending.pk)
    return pending


def _stored_matrix() -> dict[tuple[str, str], int]:
    return {
        (impact, urgency): level
        for impact, urgency, level in PriorityMatrixCell.objects.values_list(
            "impact", "urgency", "priority_id"
        )
    }


def incidents_reprioritise(*, actor, batch_size: int = 200) -> int:
    """Give every open incident the priority the matrix now gives its impact and urgency.

    Only incidents whose priority differs are touched (one query per batch, in primary-key
    order). Each batch is one transaction with its rows locked in primary-key order; each
    change is a priority audit event by `actor` (the system actor for automation) and re-targets the SLA
    timers (`sla.priority_changed`, as `incident_update` does). Returns how many changed.
    """
    matrix = _stored_matrix()
    if not matrix:
        return 0
    differs = functools.reduce(
        operator.or_,
        (Q(impact=i, urgency=u) & ~Q(priority=level) for (i, u), level in matrix.items()),
    )
    changed, last = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(of=("self",))
                .filter(differs, status__in=OPEN_STATUSES, pk__gt=last)
                .order_by("pk")[:batch_size]
            )
            for incident in batch:
                priority = matrix[(incident.impact, incident.urgency)]
                if kernel.record_update(
                    record=incident, actor=actor, changes={"priority": priority}
                ):
                    sla.priority_changed(incident, record_type=INCIDENT.key)
                    changed += 1
        if len(batch) < batch_size:
            return changed
        last = batch[-1].pk


def pending_reprioritisation_run(*, pending_id: int, now=None) -> int | None:
    """Do one pending re-prioritisation: claim its row (a conditional UPDATE, so two workers
    never run it at once), re-prioritise as its requester, delete the row. Idempotent.
    Returns the incidents changed, or None when someone else has it or it is done."""
    now = now or timezone.now()
    if not jobs.claim(PendingReprioritisation, pk=pending_id, now=now, stale_after=_CLAIM):
        return None
    pending = PendingReprioritisation.objects.select_related("requested_by").get(pk=pending_id)
    changed = incidents_reprioritise(actor=pending.requested_by or system_actor())
    PendingReprioritisation.objects.filter(pk=pending_id).delete()
    return changed


def pending_reprioritisations_run(*, now=None) -> int:
    """The beat's catch-up: the re-prioritisations nobody is doing (their task lost with the
    broker, or their worker gone). Returns the incidents changed."""
    now = now or timezone.now()
    waiting = (
        jobs.unclaimed(PendingReprioritisation, now=now, stale_after=_CLAIM)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(pending_reprioritisation_run(pending_id=pk, now=now) or 0 for pk in list(waiting))


def _scale_errors(name: str, levels: list[tuple[str, str]]) -> list[str]:
    codes = [code for code, _label in levels]
    if not 2 <= len(levels) <= 9:
        return [_("Give between 2 and 9 levels.")]
    if len(set(codes)) != len(codes):
        return [_("Each level needs a code of its own.")]
    bad = [
        code for code in codes if not code or len(code) > 10 or not code.replace("_", "").isalnum()
    ]
    if bad or any(not label.strip() for _code, label in levels):
        return [_("Each level needs a code (letters, digits, _; up to 10) and a label.")]
    return []


@transaction.atomic
def priority_scale_set(
    *,
    impacts: list[tuple[str, str]],
    urgencies: list[tuple[str, str]],
    actor,
    cells: dict[tuple[str, str], int] | None = None,
    rule: str = "",
    cap: int = 0,
) -> dict[tuple[str, str], int]:
    """Replace the impact and urgency scales (`(code, label)` pairs, highest first) and the
    matrix over them: either every cell given, or a rule computing it (`priority.RULES`:
    `min` or `sum`, capped at `cap`). Checked whole: a ValidationError keyed by field, nothing
    written. A code records still carry cannot be dropped (PriorityLevelInUse, 409). The
    levels the matrix names must exist (missing ones are created as "P<n>"). The open
    incidents are re-prioritised after the commit. Returns the matrix."""
    from incidents.levels import forget_levels
    from incidents.models import ScaleLevel
    from incidents.priority import RULES, matrix_by_rule

    errors: dict[str, list[str]] = {}
    for name, levels in (("impacts", impacts), ("urgencies", urgencies)):
        if problems := _scale_errors(name, levels):
            errors[name] = problems
    if errors:
        raise ValidationError(errors)
    impact_codes = [code for code, _label in impacts]
    urgency_codes = [code for code, _label in urgencies]
    if cells is None:
        if rule not in RULES:
            raise ValidationError({"rule": [_("Give the matrix's cells or a rule: min or sum.")]})
        if rule == "sum" and cap < 1:
            raise ValidationError({"cap": [_("A sum rule needs its highest priority number.")]})
        cells = matrix_by_rule(impact_codes, urgency_codes, rule=rule, cap=cap or 99)
    wanted = {(i, u) for i in impact_codes for u in urgency_codes}
    if set(cells) != wanted:
        raise ValidationError({"cells": [_("Give one cell for every impact and urgency pair.")]})
    if any(not isinstance(level, int) or not 1 <= level <= 99 for level in cells.values()):
        raise ValidationError({"cells": [_("A cell's priority is a number from 1 to 99.")]})
    used = {
        axis: set(Incident.objects.exclude(**{f"{axis}__in": codes}).values_list(axis, flat=True))
        for axis, codes in (("impact", impact_codes), ("urgency", urgency_codes))
    }
    if used["impact"] or used["urgency"]:
        codes = ", ".join(sorted(used["impact"] | used["urgency"]))
        raise PriorityLevelInUse(
            _("Incidents still carry %(codes)s; keep those codes in the scales.") % {"codes": codes}
        )
    for level in sorted(set(cells.values())):
        PriorityLevel.objects.get_or_create(level=level, defaults={"name": f"P{level}"})
    ScaleLevel.objects.all().delete()
    ScaleLevel.objects.bulk_create(
        ScaleLevel(axis=axis, code=code, label=label, rank=rank)
        for axis, levels in (("impact", impacts), ("urgency", urgencies))
        for rank, (code, label) in enumerate(levels, start=1)
    )
    PriorityMatrixCell.objects.all().delete()
    PriorityMatrixCell.objects.bulk_create(
        PriorityMatrixCell(impact=i, urgency=u, priority_id=level)
        for (i, u), level in cells.items()
    )
    for forget in (forget_priority_data, forget_levels):
        forget()
        transaction.on_commit(forget)
    reprioritise_request(actor=actor)
    return dict(cells)


def priority_level_put(*, instance: PriorityLevel, actor, created: bool) -> PriorityLevel:
    """The reference services' save of a priority level (`servicedesk.reference`)."""
    return priority_level_save(level=instance, actor=actor)


@transaction.atomic
def resolution_code_put(*, instance, actor, created: bool):
    """Save a resolution code (checked by the caller); the menus read the new list after the
    commit. A code records carry is never renamed: its `code` is fixed once created."""
    from incidents.levels import forget_levels
    from incidents.models import ResolutionCodeOption

    if not created:
        stored = ResolutionCodeOption.objects.select_for_update().get(pk=instance.pk)
        if stored.code != instance.code:
            raise ValidationError({"code": [_("A resolution code keeps its code.")]})
    instance.save()
    forget_levels()
    transaction.on_commit(forget_levels)
    return instance
