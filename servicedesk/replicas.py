"""Reads of the dashboards and lists from a PostgreSQL read replica (off by default).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database alias and turn
`READ_FROM_REPLICA` on. The views that only read many rows (the dashboards, their charts, the
queues and the API lists) run inside `replica_reads()`: while it is active, `ReplicaRouter` sends
their reads to the replica. Everything else, and every write anywhere, stays on `default`: a
record page or a form reads what was just written, never a copy that may lag behind.

The sign-in, the session and the permission checks run before the view (its decorators), so
they read the primary; what a list shows may be a fraction of a second old, as a replica is.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.template.response import TemplateResponse

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("servicedesk_replica_reads", default=False)


def replica_enabled() -> bool:
    return bool(getattr(settings, "READ_FROM_REPLICA", False)) and REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads made inside to the replica, when one is configured."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """A view (function, or a viewset's action) whose reads may come from the replica."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            response = view(*args, **kwargs)
            # A template response is drawn after the view returns: draw it while reading the
            # replica, as the view's own queries were.
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.render()
            return response

    return wrapped


class ReplicaRouter:
    """Reads inside `replica_reads()` go to the replica; all else, and every write, to default.
    Migrations run on default only (the replica follows it by replication)."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _reading.get() and replica_enabled():
            return REPLICA
        return None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both: an object read from the replica may be saved

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
