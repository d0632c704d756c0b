"""What the kernel's record events start here: a new record without an assignee is routed to
the desk open now, after the commit (see `services.route_new_record`)."""

from functools import partial

from django.db import transaction

from followsun import selectors, services
from servicedesk import announce as events
from servicedesk import registry


def announced(*, record, kind: str, actor, detail: dict) -> None:
    if kind != events.CREATED or record.assignee_id:
        return
    record_type = registry.for_model(type(record))
    if record_type is not None and selectors.may_follow(record, record_type=record_type.key):
        transaction.on_commit(partial(services.route_new_record_safely, type(record), record.pk))


def queue_badges(*, rows) -> None:
    selectors.queue_badges(rows=rows)
