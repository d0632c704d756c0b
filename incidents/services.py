"""Every write on incidents. The UI, the API, e-mail intake, admin actions and tasks call these.

Each public function runs in one transaction: the incident, its audit rows and its counters
commit together, and e-mails are queued only after the commit. Errors:
- django ValidationError with field errors for bad input (nothing saved),
- TransitionNotAllowed (409) for a status change the workflow or a guard refuses,
- StaleVersion (409) when the caller edited an older version,
- PermissionDenied when the actor may not do it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cmdb import services as cmdb
from incidents import notifications
from incidents.choices import (
    OPEN_STATUSES,
    Channel,
    IncidentStatus,
    PendingReason,
    ResolutionCode,
)
from incidents.levels import level_codes, resolution_choices
from incidents.models import Incident
from incidents.priority import current_matrix, priority_for
from incidents.records import INCIDENT
from incidents.routing import route_incident
from incidents.selectors import incidents_visible_to
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk import events
from servicedesk import services as kernel
from servicedesk.actors import actor_required, system_actor
from servicedesk.exceptions import ApplicationError, StaleVersion, TransitionNotAllowed
from servicedesk.models import Comment, LinkKind, Visibility
from servicedesk.selectors import links_of
from servicedesk.text import plain_text, sanitise_html
from sla import services as sla

WORK_PERMISSION = "incidents.work_incident"

# Fields an agent edits on the incident page or through the API (assignment and status have
# their own services).
EDITABLE_FIELDS = (
    "title",
    "description",
    "requester",
    "organisation",
    "impact",
    "urgency",
    "category",
    "subcategory",
    "service",
    "configuration_item",
    "channel",
    "major_incident",
    "parent",
    "outage_started_at",
    "outage_ended_at",
)

# What end users choose when they log an incident themselves.
REQUESTER_FIELDS = (
    "title",
    "description",
    "impact",
    "urgency",
    "category",
    "subcategory",
    "service",
    "configuration_item",
)

SELF_SERVICE_CHANNELS = (Channel.PORTAL, Channel.API, Channel.EMAIL)


def ensure_can_work(actor) -> None:
    """Staff and the system actor (SLA escalations, scheduled tasks) only; ActorRequired for
    a missing actor."""
    kernel.ensure_can_work(actor, model=Incident)


def _validate(incident: Incident) -> None:
    """Cross-field rules: the category tree, the assignee's group, the parent link."""
    errors: dict[str, list[str]] = {}
    for axis in ("impact", "urgency"):
        codes = level_codes(axis)
        if getattr(incident, axis) not in codes:
            errors[axis] = [_("Choose one of: %(codes)s.") % {"codes": ", ".join(codes)}]
    category, subcategory = incident.category, incident.subcategory
    if category is not None and category.parent_id is not None:
        errors["category"] = [_("Choose a top-level category.")]
    if subcategory is not None:
        if category is None:
            incident.category = category = subcategory.parent
        if (
            category is None
            or subcategory.parent_id is None
            or subcategory.parent_id != category.pk
        ):
            errors["subcategory"] = [
                _("“%(sub)s” is not a subcategory of “%(cat)s”.")
                % {"sub": subcategory.name, "cat": category.name if category else "-"}
            ]
    start, end = incident.outage_started_at, incident.outage_ended_at
    if end is not None and (start is None or end < start):
        errors["outage_ended_at"] = [_("An outage ends after it starts.")]
    for name, item in (("category", category), ("subcategory", subcategory)):
        if item is not None and not item.is_active and name not in errors:
            errors[name] = [_("This category is no longer in use.")]
    if incident.assignee_id:
        if incident.support_group is None:
            errors["support_group"] = [_("Choose the assignee's support group.")]
        elif not kernel.is_member(incident.assignee, incident.support_group):
            errors["assignee"] = [
                _("%(person)s is not a member of %(group)s.")
                % {"person": incident.assignee, "group": incident.support_group}
            ]
    parent = incident.parent
    if parent is not None:
        if incident.pk and parent.pk == incident.pk:
            errors["parent"] = [_("An incident cannot be its own parent.")]
        elif parent.parent_id:
            errors["parent"] = [
                _("%(number)s is itself a child incident.") % {"number": parent.number}
            ]
        elif incident.pk and incident.children.exists():
            errors["parent"] = [_("This incident has children of its own.")]
        elif not parent.is_open:
            errors["parent"] = [_("%(number)s is no longer open.") % {"number": parent.number}]
    if errors:
        raise ValidationError(errors)


def _compute_priority(incident: Incident) -> int:
    try:
        return priority_for(incident.impact, incident.urgency, current_matrix())
    except KeyError:
        raise ValidationError(
            {"urgency": [_("The priority matrix has no cell for this impact and urgency.")]}
        ) from None


@transaction.atomic
def incident_create(*, actor, **fields: Any) -> Incident:
    """Log an incident: priority from the matrix, owning group from routing when not given.

    `fields` are Incident fields (title, description, requester, impact, urgency, category,
    subcategory, service, configuration_item, channel, support_group, assignee, major_incident,
    parent, organisation). End users may log incidents for themselves only. Automation (e-mail
    intake, monitoring events) passes the system actor and names the requester; ActorRequired
    when `actor` is None.
    """
    actor_required(actor)
    if not actor.has_perm(WORK_PERMISSION):
        channel = fields.get("channel")
        fields = {k: v for k, v in fields.items() if k in REQUESTER_FIELDS}
        fields["requester"] = actor
        fields["channel"] = channel if channel in SELF_SERVICE_CHANNELS else Channel.PORTAL
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"support_group", "assignee"}
    if unknown:
        raise ApplicationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    fields.setdefault("requester", actor)
    incident = Incident(**fields)
    requester = incident.requester
    if incident.organisation_id is None and requester.organisation_id:
        # The API loads it with the person; a page's requester is the lazy request.user.
        if User.organisation.is_cached(requester):
            incident.organisation = requester.organisation
        else:
            incident.organisation_id = requester.organisation_id
    _validate(incident)
    incident.priority = _compute_priority(incident)
    if incident.support_group_id is None:
        incident.support_group = route_incident(
            category=incident.category,
            service=incident.service,
            configuration_item=incident.configuration_item,
            organisation_id=incident.organisation_id,
        )
        if incident.support_group is None:
            raise ValidationError(
                {"support_group": [_("No routing rule matches; choose a support group.")]}
            )
    if incident.assignee_id:
        incident.status = IncidentStatus.ASSIGNED
    # The relations already in memory go on as objects (the answer shows them), the others as
    # ids: reading each just to pass it on would be a query apiece.
    values = {}
    for f in Incident._meta.concrete_fields:
        if f.name not in ("id", "number"):
            kept = not f.is_relation or f.is_cached(incident)  # type: ignore[attr-defined]
            name = f.name if kept else f.attname
            values[name] = getattr(incident, name)
    incident = kernel.record_create(model=Incident, actor=actor, fields=values)
    timers = sla.start_timers(incident, record_type=INCIDENT.key)
    # What the API's answer shows, in `timers_of`'s order, without reading them back.
    timers.sort(key=lambda timer: timer.started_at, reverse=True)
    incident.started_timers = sorted(timers, key=lambda t: t.metric)  # type: ignore[attr-defined]
    if incident.configuration_item_id:
        cmdb.impact_proposal_request(incident=incident, actor=actor)
    notifications.incident_created(incident, actor=actor)
    return incident


@transaction.atomic
def incident_update(
    *, incident_id: int, actor, changes: Mapping[str, Any], version: int | None = None
) -> Incident:
    """Edit an incident's facts. A new impact or urgency recomputes the priority."""
    ensure_can_work(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %s") % ", ".join(sorted(unknown))
        )
    incident = kernel.record_lock(model=Incident, pk=incident_id, expected_version=version)
    kernel.ensure_not_final(incident)
    for name, value in changes.items():
        setattr(incident, name, sanitise_html(value) if name == "description" else value)
    _validate(incident)
    # The kernel compares against stored values; _validate may have filled in the category.
    incident.refresh_from_db(fields={*changes, "category"})
    changes = dict(changes)
    if "impact" in changes or "urgency" in changes:
        impact = changes.get("impact", incident.impact)
        urgency = changes.get("urgency", incident.urgency)
        probe = Incident(impact=impact, urgency=urgency)
        changes["priority"] = _compute_priority(probe)
    if "subcategory" in changes and changes["subcategory"] and "category" not in changes:
        changes["category"] = changes["subcategory"].parent
    changed = kernel.record_update(record=incident, actor=actor, changes=changes)
    if {"priority", "service", "organisation"} & set(changed):
        sla.priority_changed(incident, record_type=INCIDENT.key)
    if "configuration_item" in changed:
        # The CMDB proposes an impact from the business services that depend on the new CI.
        cmdb.impact_proposal_request(incident=incident, actor=actor)
    return incident


@transaction.atomic
def incident_raise_urgency(*, incident_id: int, actor) -> Incident:
    """One step up in urgency (so in priority, through the matrix): an escalation action."""
    incident = Incident.objects.only("id", "urgency").get(pk=incident_id)
    codes = level_codes("urgency")  # highest first
    if incident.urgency not in codes or codes.index(incident.urgency) == 0:
        return incident
    higher = codes[codes.index(incident.urgency) - 1]
    return incident_update(incident_id=incident_id, actor=actor, changes={"urgency": higher})


def incident_assign(
    *, incident_id: int, actor, support_group, assignee=None, version: int | None = None
) -> Incident:
    """Give the incident to a group and optionally a person in it (`kernel.record_assign`;
    `after_assigned` counts the reassignment and moves it between new and assigned)."""
    return kernel.record_assign(
        model=Incident, record_id=incident_id, actor=actor, support_group=support_group,
        assignee=assignee, version=version,
    )  # fmt: skip


def after_assigned(incident: Incident, *, actor, previous: tuple[int | None, int | None]) -> None:
    """The registry's `on_assigned` hook: what an incident's new assignment brings besides the
    kernel's audit rows and OLA clock. A held incident given to someone else counts as a
    reassignment; a person given a new incident makes it assigned, and an incident left
    without one goes back to its group's queue (the workflow's automatic move); the new owner
    hears of it."""
    old_group, old_assignee = previous
    if old_group is not None and (
        old_assignee is not None or old_group != incident.support_group_id
    ):
        incident.reassignment_count += 1
        incident.save(update_fields=["reassignment_count"])
    if incident.assignee_id is not None and incident.status == IncidentStatus.NEW:
        kernel.record_transition(
            record=incident, workflow=INCIDENT_WORKFLOW, target=IncidentStatus.ASSIGNED, actor=actor
        )
    elif incident.assignee_id is None and IncidentStatus.NEW in INCIDENT_WORKFLOW.automatic.get(
        incident.status, ()
    ):
        source = incident.status
        kernel.record_transition(
            record=incident, workflow=INCIDENT_WORKFLOW, target=IncidentStatus.NEW, actor=actor,
            automatic=True,
        )  # fmt: skip
        sla.record_status_changed(
            incident, old=source, new=IncidentStatus.NEW, record_type=INCIDENT.key
        )
    notifications.incident_assigned(incident, actor=actor)


def incident_take(*, incident_id: int, actor, version: int | None = None) -> Incident:
    """ "Assign to me" (`kernel.record_take`): somebody else's incident only with the version
    the caller saw, so two agents taking one incident at once never both succeed."""
    return kernel.record_take(model=Incident, record_id=incident_id, actor=actor, version=version)


@transaction.atomic
def incident_transition(
    *,
    incident_id: int,
    actor,
    target: str,
    version: int | None = None,
    note: str = "",
    pending_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    first_contact: bool = False,
) -> Incident:
    """Move an incident to `target`, with what that status needs (a reason, a resolution).

    Resolving resolves its open child incidents too; reopening counts and clears the resolution.
    """
    incident = kernel.record_lock(model=Incident, pk=incident_id, expected_version=version)
    _ensure_allowed_actor(incident, actor, target)
    source = incident.status
    before = {"pending_reason": incident.pending_reason}
    if target == IncidentStatus.PENDING:
        if pending_reason and pending_reason not in PendingReason.values:
            raise ValidationError({"pending_reason": [_("Say what the incident is waiting for.")]})
        incident.pending_reason = pending_reason
    if target == IncidentStatus.RESOLVED:
        if resolution_code and resolution_code not in dict(resolution_choices(menu=False)):
            raise ValidationError({"resolution_code": [_("Choose a resolution code.")]})
        incident.resolution_code = resolution_code
        incident.resolution_notes = sanitise_html(resolution_notes)
    kernel.record_transition(
        record=incident, workflow=INCIDENT_WORKFLOW, target=target, actor=actor, note=note
    )
    now = timezone.now()
    extra: dict[str, Any] = {}
    if target == IncidentStatus.PENDING:
        extra["pending_reason"] = incident.pending_reason
    elif source == IncidentStatus.PENDING:
        extra["pending_reason"] = ""
    if target == IncidentStatus.RESOLVED:
        extra.update(
            resolution_code=incident.resolution_code,
            resolution_notes=incident.resolution_notes,
            resolved_at=now,
            first_contact_resolution=first_contact,
        )
    elif source == IncidentStatus.RESOLVED and target != IncidentStatus.CLOSED:
        extra.update(resolved_at=None, reopen_count=incident.reopen_count + 1)
        extra.update(resolution_code="", resolution_notes="", first_contact_resolution=False)
    if target == IncidentStatus.CLOSED:
        extra["closed_at"] = now
    _save_fields(incident, extra, audited={"pending_reason", "resolution_code"}, actor=actor,
                 before={**before, "resolution_code": ""})  # fmt: skip
    sla.record_status_changed(incident, old=source, new=target, record_type=INCIDENT.key)
    if target == IncidentStatus.RESOLVED:
        _resolve_children(incident, actor=actor)
        notifications.incident_resolved(incident)
    return incident


def _ensure_allowed_actor(incident: Incident, actor, target: str) -> None:
    """Staff work incidents; a requester may only reopen their own resolved incident, or
    confirm the resolution (close it)."""
    actor_required(actor)
    if actor.has_perm(WORK_PERMISSION):
        return
    reopening = incident.status == IncidentStatus.RESOLVED and target in (
        IncidentStatus.NEW,
        IncidentStatus.IN_PROGRESS,
        IncidentStatus.CLOSED,
    )
    if not (reopening and incident.requester_id == actor.pk):
        raise PermissionDenied(_("Only service desk staff can do this."))


def _save_fields(incident, values: dict, *, audited: set, actor, before: dict) -> None:
    """Store the side fields of a transition; audit those a person would look for."""
    if not values:
        return
    for name, value in values.items():
        if name in audited and before.get(name, "") != value and value:
            events.field_changed_event(
                record=incident, actor=actor, field=name, old=before.get(name), new=value
            )
        setattr(incident, name, value)
    incident.save(update_fields=list(values))


def _resolve_children(parent: Incident, *, actor) -> None:
    """Precondition: the parent is locked. Its open children are locked next, in primary-key
    order (the lock order: parent before children), then resolved one by one."""
    children = list(
        parent.children.select_for_update(of=("self",))
        .filter(status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for child_id in children:
        incident_transition(
            incident_id=child_id,
            actor=actor,
            target=IncidentStatus.RESOLVED,
            resolution_code=ResolutionCode.RESOLVED_BY_PARENT,
            resolution_notes=_("Resolved with %(number)s: %(notes)s")
            % {"number": parent.number, "notes": parent.resolution_notes},
        )


def incident_comment(
    *, incident_id: int, actor, body: str, visibility: str = Visibility.PUBLIC, files=()
):
    """A public reply or an internal work note (`kernel.record_comment`). The first public staff
    reply is the first response; a closed incident takes no more comments."""
    return kernel.record_comment(
        model=Incident, record_id=incident_id, actor=actor, body=body, visibility=visibility,
        files=files, not_yours=_("You can only reply to your own incidents."),
        closed_in=(IncidentStatus.CLOSED,),
        closed_message=_("%(number)s is closed; log a new incident instead."),
    )  # fmt: skip


def after_agent_reply(incident: Incident, *, actor, comment) -> None:
    """The registry's `on_agent_reply` hook: the requester hears of a public staff reply."""
    notifications.incident_replied(incident, comment)


def after_requester_reply(incident: Incident, *, actor, comment) -> None:
    """The registry's `on_requester_reply` hook: an incident waiting for its requester goes
    back to work (as the system actor), and its owner hears of the reply."""
    if incident.status == IncidentStatus.PENDING and incident.pending_reason == "customer":
        target = IncidentStatus.IN_PROGRESS if incident.assignee_id else IncidentStatus.NEW
        if target in INCIDENT_WORKFLOW.allowed_targets(incident.status):
            incident_transition(
                incident_id=incident.pk, actor=system_actor(), target=target,
                note=_("The requester replied."),
            )  # fmt: skip
    notifications.requester_replied(incident, comment)


def incident_attach(*, incident_id: int, actor, file, visibility: str = Visibility.PUBLIC):
    """A file on an incident (`kernel.record_attach`). Requesters attach to their own
    incidents, always publicly; closed and cancelled incidents take no more files."""
    return kernel.record_attach(
        model=Incident, record_id=incident_id, actor=actor, file=file, visibility=visibility,
        not_yours=_("You can only add files to your own incidents."),
    )  # fmt: skip


def _merge_lock_order(first_id: int, second_id: int) -> list[int]:
    """The two incidents of a merge in the lock order: a parent before its child, otherwise
    primary-key order (docs/architecture.md, "Lock order")."""
    parents = dict(
        Incident.objects.filter(pk__in=(first_id, second_id)).values_list("pk", "parent_id")
    )
    if parents.get(first_id) == second_id:
        return [second_id, first_id]
    if parents.get(second_id) == first_id:
        return [first_id, second_id]
    return sorted((first_id, second_id))


@transaction.atomic
def incident_merge(
    *, incident_id: int, into_id: int, actor, version: int | None = None
) -> Incident:
    """Merge the duplicate `incident_id` into the survivor `into_id`; returns the survivor.

    Both rows are locked, a parent before its child, else in primary-key order. The duplicate is linked "duplicate of" the
    survivor and cancelled with the resolution code "duplicate" (its timers are cancelled, the
    survivor's run on untouched); its public replies are copied to the survivor's timeline
    under a "From INC…" heading, with their files. Incidents have no watchers, so the
    duplicate's requester, when another person, is named on the survivor's timeline as
    affected too (the `merged` event's note). Audited on both: the link on both timelines,
    the status change on the duplicate, `merged` on the survivor. No e-mail is sent.

    Raises PermissionDenied (not staff), ApplicationError (400: into itself, or a survivor the
    actor may not see), StaleVersion (the duplicate changed since `version`), and
    TransitionNotAllowed (409: either incident no longer open, or the duplicate has open
    child incidents).
    """
    ensure_can_work(actor)
    if incident_id == into_id:
        message = _("An incident cannot be merged into itself.")
        raise ApplicationError(message, errors={"into": [message]})
    if not incidents_visible_to(actor).filter(pk=into_id).exists():
        message = _("No incident with this number.")
        raise ApplicationError(message, errors={"into": [message]})
    order = _merge_lock_order(incident_id, into_id)
    locked = {pk: kernel.record_lock(model=Incident, pk=pk) for pk in order}
    duplicate, survivor = locked[incident_id], locked[into_id]
    if version is not None and duplicate.version != version:
        raise StaleVersion()
    for incident, message in (
        (survivor, _("%(number)s is %(status)s; merge into an open incident.")),
        (duplicate, _("%(number)s is %(status)s and can no longer be merged.")),
    ):
        if not incident.is_open:
            raise TransitionNotAllowed(
                message
                % {"number": incident.number, "status": incident.get_status_display().lower()}
            )
    if duplicate.children.filter(status__in=OPEN_STATUSES).exists():
        raise TransitionNotAllowed(
            _("%(number)s has open child incidents: move or resolve them first.")
            % {"number": duplicate.number}
        )
    already = links_of(duplicate).filter(
        kind=LinkKind.DUPLICATE_OF,
        target_type=ContentType.objects.get_for_model(Incident),
        target_id=survivor.pk,
    )
    if not already.exists():
        kernel.record_link_add(
            source=duplicate, target=survivor, kind=LinkKind.DUPLICATE_OF, actor=actor
        )
    replies = Comment.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=duplicate.pk,
        visibility=Visibility.PUBLIC,
    ).prefetch_related("attachments")
    heading = _("From %(number)s:") % {"number": duplicate.number}
    for reply in replies.order_by("created_at", "pk"):
        kernel.comment_copy(comment=reply, record=survivor, heading=heading)
    note = ""
    if duplicate.requester_id != survivor.requester_id:
        requester = duplicate.requester
        note = _("%(person)s (%(email)s), who reported %(number)s, is affected too.") % {
            "person": requester.full_name or requester.email,
            "email": requester.email,
            "number": duplicate.number,
        }
    events.record_merged_event(record=survivor, actor=actor, duplicate=duplicate, note=note)
    source = duplicate.status
    closing = _("Duplicate of %(number)s.") % {"number": survivor.number}
    kernel.record_transition(
        record=duplicate,
        workflow=INCIDENT_WORKFLOW,
        target=IncidentStatus.CANCELLED,
        actor=actor,
        note=closing,
    )
    extra = {"resolution_code": ResolutionCode.DUPLICATE, "resolution_notes": closing}
    if source == IncidentStatus.PENDING:
        extra["pending_reason"] = ""
    _save_fields(duplicate, extra, audited={"resolution_code"}, actor=actor,
                 before={"resolution_code": duplicate.resolution_code})  # fmt: skip
    sla.record_status_changed(
        duplicate, old=source, new=IncidentStatus.CANCELLED, record_type=INCIDENT.key
    )
    return survivor


@transaction.atomic
def incident_log_call(
    *,
    actor,
    resolve_now: bool = False,
    resolution_code: str = "",
    resolution_notes: str = "",
    **fields: Any,
) -> Incident:
    """A phone contact logged by an agent; resolved at once when the agent fixed it on the call
    (first-contact resolution: the agent becomes the assignee)."""
    ensure_can_work(actor)
    fields["channel"] = Channel.PHONE
    if resolve_now:
        errors = {}
        if not resolution_code:
            errors["resolution_code"] = [_("Choose a resolution code.")]
        if not plain_text(resolution_notes or ""):
            errors["resolution_notes"] = [_("Write what was done on the call.")]
        if errors:
            raise ValidationError(errors)
        if not fields.get("assignee"):
            fields["assignee"] = actor
            group = fields.get("support_group")
            if group is None or not kernel.is_member(actor, group):
                fields["support_group"] = (
                    actor.support_groups.filter(is_active=True).order_by("name").first()
                )
    incident = incident_create(actor=actor, **fields)
    if resolve_now:
        incident = incident_transition(
            incident_id=incident.pk,
            actor=actor,
            target=IncidentStatus.RESOLVED,
            resolution_code=resolution_code,
            resolution_notes=resolution_notes,
            first_contact=True,
        )
    return incident


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _each(incident_ids: Iterable[int], action) -> BulkResult:
    """Apply `action(incident_id)` to each incident in its own transaction; collect outcomes."""
    result = BulkResult()
    numbers = dict(Incident.objects.filter(pk__in=list(incident_ids)).values_list("pk", "number"))
    for incident_id, number in numbers.items():
        try:
            with transaction.atomic():
                action(incident_id)
        except ValidationError as error:
            result.failed.append((number, " ".join(error.messages)))
        except (ApplicationError, PermissionDenied) as error:
            result.failed.append((number, str(error)))
        else:
            result.done.append(number)
    return result


def incidents_bulk_assign(*, incident_ids, actor, support_group, assignee=None) -> BulkResult:
    ensure_can_work(actor)
    return _each(
        incident_ids,
        lambda pk: incident_assign(
            incident_id=pk, actor=actor, support_group=support_group, assignee=assignee
        ),
    )


def incidents_bulk_take(*, incident_ids, actor) -> BulkResult:
    """ "Assign to me" on many incidents; those somebody else holds are refused, not taken."""
    ensure_can_work(actor)
    return _each(incident_ids, lambda pk: incident_take(incident_id=pk, actor=actor))


def incidents_bulk_transition(*, incident_ids, actor, target: str, **details) -> BulkResult:
    ensure_can_work(actor)
    return _each(
        incident_ids,
        lambda pk: incident_transition(incident_id=pk, actor=actor, target=target, **details),
    )


def close_resolved_incidents(*, now=None, batch_size: int = 500) -> int:
    """Close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago. Safe to run from several
    workers at once: rows are taken with SKIP LOCKED, each closed in its own transaction."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    closed = 0
    while True:
        with transaction.atomic():
            due = list(
                Incident.objects.select_for_update(skip_locked=True)
                .filter(status=IncidentStatus.RESOLVED, resolved_at__lte=cutoff)
                .order_by("resolved_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            for incident_id in due:
                incident_transition(
                    incident_id=incident_id,
                    actor=system_actor(),
                    target=IncidentStatus.CLOSED,
                    note=_("Closed automatically %(days)d days after resolution.")
                    % {"days": settings.INCIDENT_AUTO_CLOSE_DAYS},
                )
                closed += 1
        if len(due) < batch_size:
            return closed
