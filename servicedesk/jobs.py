"""Asking a worker for work, without trusting the broker with anything that matters.

The database is the truth: whatever a task is to do is written (as a row or a state) in the
transaction that makes it necessary, and a periodic sweep does what no worker did. Asking a
worker is then only a shortcut, so a broker that is down, refuses the connection or times out is
logged and forgotten here, never raised into a request that already committed.

Every `transaction.on_commit` enqueue in the code base goes through `enqueue_on_commit`.
"""

import logging
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import Q
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def enqueue(task, /, *args, **kwargs) -> bool:
    """Send `task` to the broker; False (and a logged error) when the broker cannot take it.

    With tasks run eagerly (tests, CELERY_TASK_ALWAYS_EAGER) an error other than a connection
    error is the task's own, and is raised as usual.
    """
    try:
        task.delay(*args, **kwargs)
    except (OSError, KombuOperationalError):
        pass
    except Exception:
        if task.app.conf.task_always_eager:
            raise
    else:
        return True
    logger.exception("could not queue %s; the periodic sweep will do its work", task.name)
    return False


def enqueue_on_commit(task, /, *args, **kwargs) -> None:
    """`enqueue(task, ...)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


# --- Pending work rows ------------------------------------------------------------------------
# A pending-work model (a recompute, a re-prioritisation) has a nullable `claimed_at`: the
# worker that does a row claims it first, and a claim older than `stale_after` belongs to a
# worker that died, so another may take the row over.


def unclaimed(model: type[models.Model], *, now: datetime, stale_after: timedelta):
    """The rows of `model` nobody is doing: never claimed, or claimed too long ago."""
    return model._default_manager.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_after)
    )


def claim(model: type[models.Model], *, pk: int, now: datetime, stale_after: timedelta) -> bool:
    """Claim one row with a conditional UPDATE, so two workers never do it at once."""
    return bool(
        unclaimed(model, now=now, stale_after=stale_after).filter(pk=pk).update(claimed_at=now)
    )
