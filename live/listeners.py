"""What the kernel's record events (servicedesk/announce.py) start here, in the writer's
transaction: the agents' notifications (one INSERT, no read), the queues' change stamps and, for
a new record left with its group, the balanced assignment (both after the commit)."""

from functools import partial

from django.db import transaction

from live import services
from servicedesk import announce as events
from servicedesk import registry


def announced(*, record, kind: str, actor, detail: dict) -> None:
    services.notify_for_event(record=record, kind=kind, actor=actor, detail=detail)
    _follow_up(record=record, kind=kind, detail=detail)


def announced_many(batch: list[dict]) -> None:
    """A batch of events (the SLA sweep's): their notifications in one INSERT."""
    services.notify_for_events(batch)
    for event in batch:
        _follow_up(record=event["record"], kind=event["kind"], detail=event["detail"])


# servicedesk.announce.announce_many hands a whole batch to a listener's `many`; a function
# attribute the checker does not know of.
announced.many = announced_many  # type: ignore[attr-defined]


def _follow_up(*, record, kind: str, detail: dict) -> None:
    if kind == events.ASSIGNED and detail.get("field") == "support_group" and detail.get("old"):
        # The queue of the group the record left changes too (its new group's stamp is bumped
        # by the record's save, services.stamp_record).
        label = record._meta.label_lower
        transaction.on_commit(partial(services.stamps_bump, label, [detail["old"]]))
    if (
        kind == events.CREATED
        and record.support_group_id
        and not record.assignee_id
        and services.assigns_automatically(record.support_group_id)
    ):
        transaction.on_commit(partial(services.assign_new_record_safely, type(record), record.pk))


TIMELINE_MODELS = ("servicedesk.auditevent", "servicedesk.comment", "servicedesk.attachment")


def saved(sender, instance, **kwargs) -> None:
    """post_save of any model: a record's page and queues change once its commit lands."""
    if sender._meta.label_lower in TIMELINE_MODELS:
        services.stamp_timeline(instance)
    elif registry.for_model(sender) is not None:
        services.stamp_record(sender, instance)
