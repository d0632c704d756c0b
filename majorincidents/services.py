"""Every write of the major-incident room and the status pages, each in one transaction and
audited on the incident (kernel audit events, agent-only) with the actor."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SupportGroup, User
from catalogue.models import Service
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident
from majorincidents import selectors
from majorincidents.models import (
    CommunicationPlan,
    ServiceHealth,
    ServiceStatus,
    StatusSubscription,
    StatusUpdate,
)
from servicedesk import notifications
from servicedesk import services as kernel
from servicedesk.actors import actor_required, is_system_actor
from servicedesk.events import record_event
from servicedesk.models import AuditKind, LinkKind, Notification
from servicedesk.selectors import record_by_number

UPDATE_MAX = 5000
ADDRESSES_MAX = 50

# Outbox kinds (templates majorincidents/email/<kind>.txt and <kind>_subject.txt).
UPDATE_AFFECTED = "major_update_affected"
UPDATE_STAKEHOLDERS = "major_update_stakeholders"
UPDATE_SUBSCRIBERS = "major_update_subscribers"
UPDATE_DUE = "major_update_due"
SUBSCRIPTION_CONFIRM = "status_subscription_confirm"


def _ensure_can_post(actor) -> None:
    actor_required(actor)
    if not selectors.can_post(actor) and not is_system_actor(actor):
        raise PermissionDenied(_("Only agents who work incidents may run a major incident's room."))


def _lock_major(incident_id: int) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident_id)
    if not incident.major_incident:
        raise ValidationError(
            _("%(number)s is not a major incident.") % {"number": incident.number}
        )
    return incident


def plan_save(
    *,
    incident: Incident,
    actor,
    update_interval: int,
    people: list[User] | tuple = (),
    groups: list[SupportGroup] | tuple = (),
    addresses: list[str] | tuple = (),
    template_affected: str = "",
    template_stakeholders: str = "",
    template_public: str = "",
) -> CommunicationPlan:
    """Set the incident's communications plan (made on first save). The next update falls due
    `update_interval` minutes after the last one (or now, when none was posted)."""
    _ensure_can_post(actor)
    errors: dict[str, list[str]] = {}
    if not isinstance(update_interval, int) or not 5 <= update_interval <= 1440:
        errors["update_interval"] = [_("Give an update interval between 5 and 1440 minutes.")]
    clean: list[str] = []
    for address in addresses:
        address = address.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors["addresses"] = [
                _("“%(address)s” is not an e-mail address.") % {"address": address}
            ]
            break
        if address not in clean:
            clean.append(address)
    if len(clean) > ADDRESSES_MAX:
        errors["addresses"] = [_("At most %(max)d addresses.") % {"max": ADDRESSES_MAX}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = _lock_major(incident.pk)
        plan, created = CommunicationPlan.objects.get_or_create(
            incident=incident, defaults={"update_interval": update_interval}
        )
        old_interval = None if created else plan.update_interval
        plan.update_interval = update_interval
        plan.stakeholder_addresses = clean
        plan.template_affected = template_affected.strip()
        plan.template_stakeholders = template_stakeholders.strip()
        plan.template_public = template_public.strip()
        last = StatusUpdate.objects.filter(incident=incident).values_list("created_at", flat=True)
        last_at = last.first()
        plan.next_update_due = (
            last_at + timedelta(minutes=update_interval) if last_at else timezone.now()
        )
        plan.save()
        plan.stakeholder_people.set(people)
        plan.stakeholder_groups.set(groups)
        names = [str(p) for p in people] + [g.name for g in groups] + clean
        record_event(
            record=incident,
            actor=actor,
            kind=AuditKind.FIELD_CHANGED,
            field="communications_plan",
            old_value=old_interval,
            new_value=update_interval,
            old_text=_("every %(n)d min") % {"n": old_interval} if old_interval else "",
            new_text=_("every %(n)d min") % {"n": update_interval},
            note=_("Stakeholders: %(names)s") % {"names": ", ".join(names) or "—"},
            public=False,
        )
    return plan


def update_post(
    *,
    incident: Incident,
    actor,
    text: str,
    health: str,
    to_affected: bool = True,
    to_subscribers: bool = True,
    to_stakeholders: bool = True,
    on_status_page: bool = True,
) -> StatusUpdate:
    """Post an update: it sets the status of the incident's service (else the first business
    service its CI reaches), goes to the chosen audiences through the outbox, each in their own
    language, shows on the service's status page, and the next update falls due one interval on.
    """
    _ensure_can_post(actor)
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write the update.")]
    elif len(text) > UPDATE_MAX:
        errors["text"] = [_("An update is at most %(max)d characters.") % {"max": UPDATE_MAX}]
    if health not in ServiceHealth.values:
        errors["health"] = [_("Choose the service's status.")]
    if not (to_affected or to_subscribers or to_stakeholders or on_status_page):
        errors["to_affected"] = [_("Choose at least one audience.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = _lock_major(incident.pk)
        if incident.status not in OPEN_STATUSES and health != ServiceHealth.OPERATIONAL:
            raise ValidationError(
                {
                    "health": [
                        _("The incident is over: its last update sets the service operational.")
                    ]
                }
            )
        services = selectors.affected_services(incident)
        service = services[0] if services else None
        update = StatusUpdate.objects.create(
            incident=incident,
            service=service,
            health=health,
            text=text,
            to_affected=to_affected,
            to_subscribers=to_subscribers,
            to_stakeholders=to_stakeholders,
            on_status_page=on_status_page and service is not None,
            author=actor,
        )
        old_health = selectors.health_of(service)
        if service is not None:
            ServiceStatus.objects.update_or_create(service=service, defaults={"health": health})
        plan = CommunicationPlan.objects.filter(incident=incident).first()
        rows: list[Notification] = []
        sent_people: set[int] = set()
        sent_addresses: set[str] = set()

        def add(kind: str, people: list[int], addresses: list[str]) -> None:
            people = [p for p in people if p not in sent_people and p != actor.pk]
            addresses = [a for a in addresses if a not in sent_addresses]
            sent_people.update(people)
            sent_addresses.update(addresses)
            row = notifications.build(update, kind, user_ids=people, addresses=addresses)
            if row is not None:
                rows.append(row)

        if to_stakeholders:
            add(UPDATE_STAKEHOLDERS, *selectors.stakeholders(plan))
        if to_affected:
            add(UPDATE_AFFECTED, selectors.affected_user_ids(incident, services), [])
        if to_subscribers:
            add(UPDATE_SUBSCRIBERS, *selectors.subscribers(service))
        notifications.add_many(rows)
        update.recipients = len(sent_people) + len(sent_addresses)
        update.save(update_fields=["recipients"])
        if plan is not None:
            plan.next_update_due = update.created_at + timedelta(minutes=plan.update_interval)
            plan.save(update_fields=["next_update_due", "updated_at"])
        record_event(
            record=incident,
            actor=actor,
            kind=AuditKind.FIELD_CHANGED,
            field="service_status",
            old_value=old_health,
            new_value=health,
            old_text=str(ServiceHealth(old_health).label),
            new_text=str(ServiceHealth(health).label),
            note=_("Update posted to %(count)d recipients: %(text)s")
            % {"count": update.recipients, "text": text[:500]},
            public=False,
        )
    return update


def child_link(*, incident: Incident, actor, number: str):
    """Link another incident as a child of the major incident ("parent of")."""
    _ensure_can_post(actor)
    try:
        other = record_by_number(number=(number or "").strip().upper(), user=actor)
    except ObjectDoesNotExist:
        other = None
    if other is None or not isinstance(other, Incident):
        raise ValidationError({"number": [_("No incident has that number.")]})
    if other.pk == incident.pk:
        raise ValidationError({"number": [_("A major incident cannot be its own child.")]})
    with transaction.atomic():
        return kernel.record_link_add(
            source=incident, target=other, kind=LinkKind.PARENT_OF, actor=actor
        )


def reminders_send(*, actor, now: datetime | None = None) -> int:
    """Remind the incident's assignee, or its group, that an update is due: once per due time."""
    actor_required(actor)
    now = now or timezone.now()
    sent = 0
    for plan in selectors.plans_due(now):
        with transaction.atomic():
            plan = CommunicationPlan.objects.select_for_update().get(pk=plan.pk)
            if plan.next_update_due is None or plan.reminded_for == plan.next_update_due:
                continue
            incident = plan.incident
            people = [incident.assignee_id] if incident.assignee_id else []
            if not people and incident.support_group_id:
                people = list(
                    incident.support_group.members.filter(is_active=True).values_list(  # type: ignore[union-attr]
                        "pk", flat=True
                    )
                )
            plan.reminded_for = plan.next_update_due
            plan.save(update_fields=["reminded_for"])
            notifications.notify(plan, UPDATE_DUE, user_ids=people)
            sent += 1
    return sent


# --- Subscriptions ------------------------------------------------------------------------------


def subscribe(*, service: Service, user) -> StatusSubscription:
    """A person subscribes to a service whose page they may read."""
    actor_required(user)
    if not selectors.status_services(user=user).filter(pk=service.pk).exists():
        raise PermissionDenied(_("You cannot follow this service."))
    with transaction.atomic():
        row, _created = StatusSubscription.objects.get_or_create(
            service=service, user=user, defaults={"confirmed": True}
        )
    return row


def unsubscribe(*, service: Service, user) -> int:
    actor_required(user)
    with transaction.atomic():
        return StatusSubscription.objects.filter(service=service, user=user).delete()[0]


def subscribe_address(*, service: Service, email: str) -> StatusSubscription:
    """A public address subscribes to a public page: it hears of updates once it confirmed
    through the link mailed to it (asking again sends the link again)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    with transaction.atomic():
        row, _created = StatusSubscription.objects.get_or_create(service=service, email=email)
        if not row.confirmed:
            notifications.notify(row, SUBSCRIPTION_CONFIRM, addresses=[email])
    return row


def subscription_confirm(*, token: str) -> StatusSubscription:
    with transaction.atomic():
        row = StatusSubscription.objects.select_for_update().get(token=token, user__isnull=True)
        if not row.confirmed:
            row.confirmed = True
            row.save(update_fields=["confirmed"])
    return row


def subscription_cancel(*, token: str) -> int:
    with transaction.atomic():
        return StatusSubscription.objects.filter(token=token).delete()[0]
