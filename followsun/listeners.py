"""What the kernel's record events start here: a new record without an assignee is routed to
the desk open now, after the commit (see `services.route_new_record`)."""

from functools import partial

from django.db import transaction

from followsun import selectors, services
from servicedesk import announce as events


def announced(*, record, kind: str, actor, detail: dict) -> None:
    if kind == events.CREATED and not record.assignee_id:
        transaction.on_commit(partial(services.route_new_record_safely, type(record), record.pk))


def queue_badges(*, rows) -> None:
    selectors.queue_badges(rows=rows)
