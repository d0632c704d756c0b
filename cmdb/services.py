"""Every write on the CMDB: CIs, relationships, baselines and incident impact proposals.

Each public function runs in one transaction with its audit rows. Errors:
- django ValidationError with field errors for bad input (nothing saved); typed attributes are
  reported under `attr_<code>`,
- StaleVersion (409) when the caller edited an older version of a CI,
- PermissionDenied when the actor is not a configuration manager (agents read only).
"""

import datetime
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.db.models import Field

from cmdb import graph
from cmdb.choices import (
    REVERSE_LABELS,
    AttributeType,
    Criticality,
    Direction,
    LifecycleStatus,
    ProposalStatus,
    RelationshipType,
)
from cmdb.models import (
    AttributeDefinition,
    Baseline,
    BaselineItem,
    CIClass,
    ConfigurationItem,
    ImpactProposal,
    Relationship,
)
from cmdb.selectors import (
    EDIT_PERMISSION,
    baseline_scope,
    ci_snapshot_map,
    class_attributes,
    impact_choices,
    on_impact_scale,
)
from cmdb.workflow import CI_WORKFLOW
from servicedesk import events, registry
from servicedesk.actors import actor_required
from servicedesk.exceptions import StaleVersion, TransitionNotAllowed
from servicedesk.jobs import enqueue_on_commit
from servicedesk.models import AuditKind

logger = logging.getLogger(__name__)

# A proposal still pending after this long lost its task (broker down): the page computes it.
PROPOSAL_STALE_AFTER = datetime.timedelta(seconds=60)

# Up to this many relationships a proposal is computed in the request; above, by a worker.
INLINE_MAX_RELATIONSHIPS = 20_000

# Fields a configuration manager sets on a CI (attributes are validated against its class).
CI_FIELDS = ("name", "ci_class", "description", "status", "criticality", "environment",
             "location", "owner_group", "support_group", "service", "attributes")  # fmt: skip


def ensure_can_edit(actor) -> None:
    """Configuration managers, administrators and the system actor (imports, demo) only."""
    actor_required(actor)
    if not actor.has_perm(EDIT_PERMISSION):
        raise PermissionDenied(_("Only configuration managers can change the CMDB."))


# --- Typed attributes -------------------------------------------------------------------------


def attribute_value_clean(definition: AttributeDefinition, raw) -> Any:
    """One attribute's value in its stored form, or ValidationError saying what is wrong.

    Text -> str, number -> int or float, date -> ISO date text, choice -> one of the choices,
    reference -> the id of an existing CI (given by id or by name) of the referenced class.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.type
    if kind == AttributeType.TEXT:
        return str(raw).strip()[:1000]
    if kind == AttributeType.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == AttributeType.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == AttributeType.CHOICE:
        value = str(raw).strip()
        if value not in definition.choices:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices)}
            )
        return value
    if kind == AttributeType.REFERENCE:
        return _reference(definition, raw)
    raise ValidationError(_("Unknown attribute type."))


def _reference(definition: AttributeDefinition, raw) -> int:
    items = ConfigurationItem.objects.all()
    target: ConfigurationItem | None
    if isinstance(raw, ConfigurationItem):
        target = raw
    elif isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
        target = items.filter(pk=int(raw)).first() or items.filter(name=str(raw).strip()).first()
    else:
        target = items.filter(name=str(raw).strip()).first()
    if target is None:
        raise ValidationError(_("No configuration item “%(value)s”.") % {"value": raw})
    if definition.reference_class_id and target.ci_class_id != definition.reference_class_id:
        reference_class = cast(CIClass, definition.reference_class)  # its id is set
        raise ValidationError(
            _("%(name)s is not a %(class)s.") % {"name": target.name, "class": reference_class.name}
        )
    return target.pk


def attributes_clean(ci_class: CIClass | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """All of a CI's attributes checked against its class; ValidationError keyed `attr_<code>`
    for each bad, missing required or unknown attribute."""
    definitions = {d.code: d for d in class_attributes(ci_class)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for code in values:
        if code not in definitions:
            errors[f"attr_{code}"] = [
                _("%(class)s has no attribute “%(code)s”.")
                % {"class": ci_class.name if ci_class else _("This class"), "code": code}
            ]
    for code, definition in definitions.items():
        try:
            value = attribute_value_clean(definition, values.get(code))
        except ValidationError as error:
            errors[f"attr_{code}"] = error.messages
            continue
        if value is None:
            if definition.required:
                errors[f"attr_{code}"] = [_("%(label)s is required.") % {"label": definition.label}]
            continue
        cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Configuration items --------------------------------------------------------------------


def _validate_ci(ci: ConfigurationItem) -> None:
    errors: dict[str, list[str]] = {}
    if ci.ci_class is None:
        errors["ci_class"] = [_("Choose the class of the configuration item.")]
    elif not ci.ci_class.is_active and "ci_class" not in errors:
        errors["ci_class"] = [_("This class is no longer in use.")]
    location = ci.location
    if location is not None:
        if ci.location_id == ci.pk:
            errors["location"] = [_("A configuration item cannot be its own location.")]
        elif not (location.ci_class is not None and location.ci_class.is_location):
            errors["location"] = [_("%(name)s is not a location.") % {"name": location.name}]
    try:
        ci.clean_fields(exclude=["ci_class", "location", "owner_group", "support_group",
                                 "service", "attributes"])  # fmt: skip
    except ValidationError as error:
        errors.update(error.message_dict)
    if ci.name and ConfigurationItem.objects.filter(name=ci.name).exclude(pk=ci.pk).exists():
        errors["name"] = [_("Another configuration item is called %(name)s.") % {"name": ci.name}]
    if errors:
        raise ValidationError(errors)


def _shown(ci: ConfigurationItem, name: str, value) -> str:
    if value is None or value == "":
        return ""
    field = cast("Field[Any, Any]", ConfigurationItem._meta.get_field(name))  # never a relation
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _stored(value):
    return value.pk if hasattr(value, "pk") else value


@transaction.atomic
def ci_create(*, actor, **fields: Any) -> ConfigurationItem:
    """Create a CI of a class with its typed attributes validated. Writes a `created` event.

    Raises PermissionDenied (not a configuration manager) or ValidationError (field errors;
    `attr_<code>` for attributes); nothing is saved then.
    """
    ensure_can_edit(actor)
    unknown = set(fields) - set(CI_FIELDS)
    if unknown:
        raise ValidationError({"__all__": [_("Unknown fields: %s") % ", ".join(sorted(unknown))]})
    attributes = fields.pop("attributes", None) or {}
    ci = ConfigurationItem(**fields)
    errors = {}
    try:
        _validate_ci(ci)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        ci.attributes = attributes_clean(ci.ci_class if ci.ci_class_id else None, attributes)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    ci.is_active = ci.status != LifecycleStatus.RETIRED
    try:
        with transaction.atomic():
            ci.save()
    except IntegrityError:
        raise ValidationError({"name": [_("Another configuration item has this name.")]}) from None
    events.record_event(
        record=ci, actor=actor, kind=AuditKind.CREATED, new_text=ci.name[:255], public=False
    )
    return ci


@transaction.atomic
def ci_update(
    *, ci_id: int, actor, changes: Mapping[str, Any], version: int | None = None
) -> ConfigurationItem:
    """Change a CI's fields and attributes; one audit event per field (and per attribute) that
    really changed, and a new version. A lifecycle move must follow CI_WORKFLOW.

    Preconditions: none (locks the row). Raises PermissionDenied, StaleVersion, ValidationError,
    TransitionNotAllowed (409) for a lifecycle move CI_WORKFLOW does not allow.
    """
    ensure_can_edit(actor)
    unknown = set(changes) - set(CI_FIELDS)
    if unknown:
        raise ValidationError({"__all__": [_("Unknown fields: %s") % ", ".join(sorted(unknown))]})
    ci = ConfigurationItem.objects.select_for_update(of=("self",)).get(pk=ci_id)
    if version is not None and ci.version != version:
        raise StaleVersion()
    old = {name: getattr(ci, name) for name in CI_FIELDS}
    changes = dict(changes)
    new_attributes = changes.pop("attributes", None)
    for name, value in changes.items():
        setattr(ci, name, value)
    errors = {}
    new_status = changes.get("status", ci.status)
    if new_status != old["status"] and new_status in CI_WORKFLOW.states:
        try:
            CI_WORKFLOW.check(record=ci, source=old["status"], target=new_status)
        except TransitionNotAllowed:
            raise TransitionNotAllowed(
                _("A %(old)s configuration item cannot become %(new)s.")
                % {"old": _shown(ci, "status", old["status"]).lower(),
                   "new": _shown(ci, "status", new_status).lower()}
            ) from None  # fmt: skip
    try:
        _validate_ci(ci)
    except ValidationError as error:
        errors.update(error.message_dict)
    class_changed = ci.ci_class_id != _stored(old["ci_class"])
    attributes = old["attributes"] if new_attributes is None else new_attributes
    if class_changed or new_attributes is not None:
        if class_changed and new_attributes is None:
            # Keep the values the new class also defines.
            codes = {d.code for d in class_attributes(ci.ci_class)} if ci.ci_class_id else set()
            attributes = {k: v for k, v in attributes.items() if k in codes}
        try:
            ci.attributes = attributes_clean(ci.ci_class if ci.ci_class_id else None, attributes)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    changed = []
    for name in CI_FIELDS:
        before, after = old[name], getattr(ci, name)
        if name == "attributes":
            for code in sorted(set(before) | set(after)):
                if before.get(code) != after.get(code):
                    changed.append(name)
                    events.record_event(
                        record=ci, actor=actor, kind=AuditKind.FIELD_CHANGED, public=False,
                        field=f"attributes.{code}"[:64],
                        old_value=before.get(code), new_value=after.get(code),
                        old_text=str(before.get(code, "") or "")[:255],
                        new_text=str(after.get(code, "") or "")[:255],
                    )  # fmt: skip
            continue
        if _stored(before) == _stored(after):
            continue
        changed.append(name)
        texts = {"old_text": _shown(ci, name, before), "new_text": _shown(ci, name, after)}
        kind = AuditKind.STATUS_CHANGED if name == "status" else AuditKind.FIELD_CHANGED
        events.record_event(
            record=ci, actor=actor, kind=kind, public=False, field=name,
            old_value=_stored(before), new_value=_stored(after),
            old_text=texts["old_text"][:255], new_text=texts["new_text"][:255],
        )  # fmt: skip
    if not changed:
        return ci
    ci.is_active = ci.status != LifecycleStatus.RETIRED
    ci.version += 1
    ci.save()
    return ci


# --- Relationships --------------------------------------------------------------------------


def _relationship_event(*, ci, actor, added: bool, text: str) -> None:
    events.record_event(
        record=ci, actor=actor, kind=AuditKind.FIELD_CHANGED, public=False,
        field="relationships", old_text="" if added else text[:255],
        new_text=text[:255] if added else "",
    )  # fmt: skip


@transaction.atomic
def relationship_add(*, actor, source: ConfigurationItem, target: ConfigurationItem,
                     type: str) -> Relationship:  # fmt: skip
    """Relate two CIs ("source <type> target": the source needs the target). Cycles are allowed;
    the same relationship twice and a CI related to itself are refused (ValidationError).
    Writes an event on both CIs' timelines."""
    ensure_can_edit(actor)
    errors = {}
    if type not in RelationshipType.values:
        errors["type"] = [_("Choose a relationship type.")]
    if source is None:
        errors["source"] = [_("Choose the configuration item that needs the other.")]
    if target is None:
        errors["target"] = [_("Choose the configuration item it relates to.")]
    if not errors and source.pk == target.pk:
        errors["target"] = [_("A configuration item cannot be related to itself.")]
    if not errors and Relationship.objects.filter(source=source, target=target, type=type).exists():
        errors["target"] = [_("These two configuration items are already related this way.")]
    if errors:
        raise ValidationError(errors)
    relationship = Relationship.objects.create(
        source=source, target=target, type=type, created_by=actor
    )
    label = RelationshipType(type).label
    _relationship_event(ci=source, actor=actor, added=True, text=f"{label} {target.name}")
    _relationship_event(
        ci=target,
        actor=actor,
        added=True,
        text=f"{REVERSE_LABELS[RelationshipType(type)]} {source.name}",
    )
    return relationship


@transaction.atomic
def relationship_remove(*, actor, relationship_id: int) -> None:
    """Remove a relationship; an event on both CIs' timelines. DoesNotExist when gone."""
    ensure_can_edit(actor)
    relationship = Relationship.objects.select_related("source", "target").get(pk=relationship_id)
    source, target, kind = relationship.source, relationship.target, relationship.type
    relationship.delete()
    label = RelationshipType(kind).label
    _relationship_event(ci=source, actor=actor, added=False, text=f"{label} {target.name}")
    _relationship_event(
        ci=target,
        actor=actor,
        added=False,
        text=f"{REVERSE_LABELS[RelationshipType(kind)]} {source.name}",
    )


# --- Baselines ------------------------------------------------------------------------------


@transaction.atomic
def baseline_create(*, actor, name: str, ci_class: CIClass | None = None,
                    description: str = "") -> Baseline:  # fmt: skip
    """Snapshot every CI of a class (or every CI not retired) under a name, with its fields,
    attributes and relationships, to diff against later (selectors.baseline_diff)."""
    ensure_can_edit(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the baseline a name.")]})
    if Baseline.objects.filter(name=name).exists():
        raise ValidationError(
            {"name": [_("A baseline is already called %(name)s.") % {"name": name}]}
        )
    baseline = Baseline.objects.create(
        name=name[:120], description=description, ci_class=ci_class, created_by=actor
    )
    snapshots = ci_snapshot_map(baseline_scope(ci_class))
    BaselineItem.objects.bulk_create(
        [BaselineItem(baseline=baseline, ci_id_value=pk, snapshot=snap) for pk, snap in snapshots.items()],
        batch_size=1000,
    )  # fmt: skip
    return baseline


# --- Impact proposals for incidents ---------------------------------------------------------


def proposed_impact(*, count: int, max_criticality: int | None) -> str:
    """The incident impact the business services reached suggest (docs/cmdb.md):
    none -> low; a critical service or three and more -> high; a high one or two and more ->
    medium; else low."""
    if not count:
        return "low"
    if (max_criticality or 0) >= Criticality.CRITICAL or count >= 3:
        return "high"
    if (max_criticality or 0) >= Criticality.HIGH or count >= 2:
        return "medium"
    return "low"


def _graph_is_large() -> bool:
    from cmdb.graph import estimated_relationships

    return estimated_relationships() > getattr(
        settings, "CMDB_INLINE_IMPACT_MAX_RELATIONSHIPS", INLINE_MAX_RELATIONSHIPS
    )


@transaction.atomic
def impact_proposal_request(*, incident, actor) -> ImpactProposal | None:
    """The incident's CI was set or changed: (re)start its impact proposal. Small graphs are
    computed at once; large ones by `compute_impact_proposal_task` after the commit (the page
    polls). Removing the CI removes the proposal. Called by incidents.services.incident_update."""
    ImpactProposal.objects.filter(incident=incident).delete()
    if incident.configuration_item_id is None:
        return None
    proposal = ImpactProposal.objects.create(
        incident=incident, configuration_item_id=incident.configuration_item_id
    )
    if _graph_is_large():
        from cmdb.tasks import compute_impact_proposal_task

        # The broker down: the incident page computes the proposal when it finds it stale.
        enqueue_on_commit(compute_impact_proposal_task, proposal.pk)
    else:
        impact_proposal_compute(proposal_id=proposal.pk)
    return proposal


@transaction.atomic
def impact_proposal_compute(*, proposal_id: int) -> ImpactProposal | None:
    """Walk downstream of the proposal's CI and store the business services reached, how many,
    how critical, and the impact they suggest. Idempotent; a decided proposal is left alone."""
    from cmdb.selectors import impact_of

    proposal = (
        ImpactProposal.objects.select_for_update(of=("self",))
        .select_related("configuration_item__ci_class")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or proposal.status in (ProposalStatus.ACCEPTED, ProposalStatus.OVERRIDDEN):
        return proposal
    ci = proposal.configuration_item
    impact = impact_of(
        ci=ci,
        direction=Direction.DOWNSTREAM,
        depth=graph.default_depth(),
        limit=1,
    )
    services = [(s.ci, s.organisations) for s in impact.services]
    if ci.ci_class is not None and ci.ci_class.is_business_service:
        services.insert(0, (ci, 0))
    proposal.service_count = len(services)
    proposal.max_criticality = max((s.criticality for s, _o in services), default=None)
    proposal.organisation_count = sum(orgs for _s, orgs in services)
    proposal.services = [
        {"id": s.pk, "name": s.name, "criticality": s.criticality} for s, _o in services[:20]
    ]
    proposal.proposed_impact = on_impact_scale(
        proposed_impact(count=proposal.service_count, max_criticality=proposal.max_criticality)
    )
    proposal.status = ProposalStatus.READY
    proposal.computed_at = timezone.now()
    proposal.save()
    return proposal


@transaction.atomic
def impact_proposal_decide(*, incident_id: int, actor, impact: str | None = None,
                           version: int | None = None) -> ImpactProposal:  # fmt: skip
    """The agent accepts the proposed impact (`impact` None or equal) or overrides it with
    another; the incident's impact (and so its priority) is set through incident_update.

    Raises ValidationError when no proposal is ready or the impact is not high/medium/low,
    and whatever incident_update raises (PermissionDenied, StaleVersion, TransitionNotAllowed).
    """
    # Lock order: the incident before its proposal, as incident_update (which replaces the
    # proposal when the CI changes) takes them.
    incident_model = ImpactProposal._meta.get_field("incident").related_model
    list(
        incident_model._default_manager.select_for_update(of=("self",))
        .filter(pk=incident_id)
        .values("pk")
    )
    proposal = (
        ImpactProposal.objects.select_for_update(of=("self",))
        .filter(incident_id=incident_id)
        .first()
    )
    if proposal is None or proposal.status == ProposalStatus.PENDING:
        raise ValidationError({"impact": [_("There is no proposed impact to decide on yet.")]})
    chosen = impact or proposal.proposed_impact
    if chosen not in {value for value, _label in impact_choices()}:
        codes = ", ".join(value for value, _label in impact_choices())
        raise ValidationError({"impact": [_("Choose one of: %(codes)s.") % {"codes": codes}]})
    registry.get("incident").call("update")(
        record_id=incident_id, actor=actor, changes={"impact": chosen}, version=version
    )
    proposal.status = (
        ProposalStatus.ACCEPTED if chosen == proposal.proposed_impact else ProposalStatus.OVERRIDDEN
    )
    proposal.decided_impact = chosen
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_impact", "decided_by", "decided_at"])
    return proposal
