"""Reference data kept in each process's memory: the rows an administrator edits now and then
(the priority matrix and scales, categories, routing rules, SLA policies with their targets
and calendars, escalation rules, checklist templates, assignment rules) and that nearly every
create reads.

`reference(name, load)` answers `load()`'s value, computed once per process and kept until any
watched model changes. A change anywhere draws a new generation token in the shared cache
(Redis in production, seen by every web and worker process) now and again after the commit, as
`accounts.backends` does for permissions; a process whose copy carries another token loads
again. The token is read once per request or Celery task (`scope_start`, connected to
`request_started` and `task_prerun`) and on every lookup outside one, so a change is seen by
the next request everywhere and at once by the process that made it.

`watch(*models)`, called from an app's `ready()`, connects the models' saves and deletes. Code
that writes watched rows in bulk (`QuerySet.update`, `bulk_create`) calls `forget()` itself.
Values handed out are shared by every request of the process: treat them as read-only.
"""

import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

GENERATION_KEY = "reference:generation"

T = TypeVar("T")

_values: dict[str, tuple[str, Any]] = {}
_scope = threading.local()


def reference(name: str, load: Callable[[], T]) -> T:
    """`load()`'s value under `name`, loaded again only after a watched model changed."""
    generation = _generation()
    entry = _values.get(name)
    if entry is None or entry[0] != generation:
        entry = (generation, load())
        _values[name] = entry
    return entry[1]


def _generation() -> str:
    scoped = getattr(_scope, "generation", None)
    if scoped is not None:
        return scoped
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY) or generation
    if getattr(_scope, "active", False):
        _scope.generation = generation
    return generation


def scope_hand_over(generation: str | None) -> None:
    """A caller that read the token already, with keys of its own in one round trip (the API's
    token check), hands it over, so the request does not read it again."""
    if generation is not None and getattr(_scope, "active", False) and _scope.generation is None:
        _scope.generation = generation


def scope_start(**_ignored) -> None:
    """A request or task begins: the token is read once, at the first lookup."""
    _scope.active = True
    _scope.generation = None


def scope_end(**_ignored) -> None:
    _scope.active = False
    _scope.generation = None


def forget(**_ignored) -> None:
    """Retire every process's copies: now, and again after the commit (a process that read the
    old rows in between must not keep them)."""
    retire()
    connection = transaction.get_connection()
    open_blocks = set(connection.savepoint_ids)
    for savepoints, func, _robust in connection.run_on_commit:
        if func is retire and savepoints <= open_blocks:
            return  # one retirement per commit, however many rows changed
    transaction.on_commit(retire)


def retire() -> None:
    """Retire every process's copies now (callers outside a transaction, or that call it again
    after their commit themselves)."""
    _values.clear()
    _scope.generation = None
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def watch(*watched: type[models.Model]) -> None:
    """Any save or delete of these models retires the reference data."""
    for model in watched:
        uid = f"servicedesk.memo.{model._meta.label}"
        post_save.connect(forget, sender=model, dispatch_uid=uid)
        post_delete.connect(forget, sender=model, dispatch_uid=uid)
