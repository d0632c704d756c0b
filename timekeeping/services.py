"""Every write of time tracking: a time entry on any record type, in one transaction, audited
on the record's timeline (an agent-only event), and the hourly rates."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.events import record_event
from servicedesk.models import AuditKind, BaseRecord, Comment
from servicedesk.services.work import ensure_can_work
from timekeeping.formatting import duration
from timekeeping.models import MAX_MINUTES, HourlyRate, TimeEntry


def _group_for(record: BaseRecord, agent):
    """The agent's group at the time: the record's group when the agent belongs to it (or
    leads it), else the first of the agent's own groups, else none."""
    group = record.support_group
    if group is not None and (
        group.lead_id == agent.pk or group.members.filter(pk=agent.pk).exists()
    ):
        return group
    return agent.support_groups.filter(is_active=True).order_by("name").first()


def _service_id(record: BaseRecord) -> int | None:
    """The record's service; a record without one of its own (a fulfilment task) takes its
    parent's (the request it belongs to)."""
    service_id = getattr(record, "service_id", None)
    if service_id is None:
        parent = getattr(record, "request", None)
        service_id = getattr(parent, "service_id", None)
    return service_id


def _category(record: BaseRecord) -> str:
    category = getattr(record, "category", None)
    return str(category)[:200] if category is not None else ""


def time_entry_check(*, minutes, worked_on, note: str = "") -> dict[str, list[str]]:
    """The field errors of an entry (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        errors["minutes"] = [_("Enter the minutes spent, at least 1.")]
    elif minutes > MAX_MINUTES:
        errors["minutes"] = [_("One entry is at most 24 hours (1440 minutes).")]
    if worked_on is not None and worked_on > timezone.localdate() + datetime.timedelta(days=1):
        errors["worked_on"] = [_("The date worked cannot be in the future.")]
    if len(note or "") > 500:
        errors["note"] = [_("The note is at most 500 characters.")]
    return errors


@transaction.atomic
def time_entry_add(
    *,
    record: BaseRecord,
    actor,
    minutes: int,
    billable: bool = False,
    worked_on: datetime.date | None = None,
    note: str = "",
    comment: Comment | None = None,
) -> TimeEntry:
    """Log `minutes` of `actor`'s work on `record` (any record type): staff who work the type
    only (PermissionDenied), field errors as a ValidationError, an agent-only
    "time spent" event on the record's timeline in the same transaction."""
    ensure_can_work(actor, model=type(record))
    errors = time_entry_check(minutes=minutes, worked_on=worked_on, note=note)
    if errors:
        raise ValidationError(errors)
    content_type = ContentType.objects.get_for_model(record)
    if comment is not None and (
        comment.content_type_id != content_type.pk or comment.object_id != record.pk
    ):
        raise ValidationError({"comment": [_("This comment belongs to another record.")]})
    before = record_minutes(content_type_id=content_type.pk, object_id=record.pk)
    entry = TimeEntry.objects.create(
        content_type=content_type,
        object_id=record.pk,
        number=record.number,
        agent=actor,
        support_group=_group_for(record, actor),
        organisation_id=record.organisation_id,
        service_id=_service_id(record),
        category=_category(record),
        minutes=minutes,
        billable=billable,
        worked_on=worked_on or timezone.localdate(),
        note=(note or "").strip(),
        comment=comment,
    )
    logged = duration(minutes)
    record_event(
        record=record,
        actor=actor,
        kind=AuditKind.FIELD_CHANGED,
        field="time_spent",
        old_value=before,
        new_value=before + minutes,
        old_text=duration(before),
        new_text=duration(before + minutes),
        note=(_("%(time)s billable") if billable else _("%(time)s not billable"))
        % {"time": logged},
        public=False,
    )
    return entry


def record_minutes(*, content_type_id: int, object_id: int) -> int:
    from django.db.models import Sum

    total = TimeEntry.objects.filter(
        content_type_id=content_type_id, object_id=object_id
    ).aggregate(total=Sum("minutes"))["total"]
    return int(total or 0)


@transaction.atomic
def hourly_rate_put(*, organisation=None, support_group=None, rate: Decimal) -> HourlyRate:
    """Set the hourly rate of an organisation or of a support group (exactly one)."""
    if (organisation is None) == (support_group is None):
        raise ValidationError(_("A rate is for an organisation or for a support group."))
    if rate < 0:
        raise ValidationError({"rate": [_("A rate cannot be negative.")]})
    key = {"organisation": organisation} if organisation else {"support_group": support_group}
    found, _created = HourlyRate.objects.update_or_create(**key, defaults={"rate": rate})
    return found
