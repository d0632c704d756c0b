"""Record events announced to whoever listens (outgoing webhooks, events/services/webhooks.py),
so no record app knows its listeners.

The kernel's writers call `announce(record=, kind=, actor=, detail=)` inside the service's
transaction: the audit writer (created, assigned, status changed, a major incident flagged),
the comment writer (commented), the approvals (approval needed) and the SLA sweep (warning,
breach). A listener writes what it needs in the same transaction (an outbox row) and sends it
after the commit; it never blocks or fails the write.
"""

from collections.abc import Callable
from typing import Any

CREATED = "created"
ASSIGNED = "assigned"
STATUS_CHANGED = "status_changed"
COMMENTED = "commented"
SLA_WARNING = "sla_warning"
SLA_BREACH = "sla_breach"
APPROVAL_NEEDED = "approval_needed"
MAJOR_INCIDENT = "major_incident"
# Any other field changed (`detail["field"]`: a recategorised incident gets its checklists).
FIELD_CHANGED = "field_changed"

KINDS = (CREATED, ASSIGNED, STATUS_CHANGED, COMMENTED, SLA_WARNING, SLA_BREACH, APPROVAL_NEEDED,
         MAJOR_INCIDENT, FIELD_CHANGED)  # fmt: skip

# f(*, record, kind, actor, detail) -> None. A listener that writes a row per event may also
# have a `many` attribute, f(events: list[dict]) -> None, which `announce_many` calls once for a
# whole batch (the SLA sweep's): one INSERT instead of one per event.
LISTENERS: list[Callable[..., None]] = []


def announce(*, record: Any, kind: str, actor: Any = None, detail: dict | None = None) -> None:
    """Tell every listener that `kind` happened to `record` (a registered record type)."""
    if not LISTENERS:
        return
    from servicedesk import registry

    if registry.for_model(type(record)) is None:
        return  # a CI or another row with a timeline: not a record event
    for listener in LISTENERS:
        listener(record=record, kind=kind, actor=actor, detail=detail or {})


def announce_many(events: list[dict]) -> None:
    """Announce several events at once (each a dict of `announce`'s arguments), in the caller's
    transaction: a listener with a `many` gets them in one call, the others one by one."""
    if not LISTENERS or not events:
        return
    from servicedesk import registry

    events = [
        {"actor": None, **event, "detail": event.get("detail") or {}}
        for event in events
        if registry.for_model(type(event["record"])) is not None
    ]
    for listener in LISTENERS:
        many = getattr(listener, "many", None)
        if many is not None:
            many(events)
        else:
            for event in events:
                listener(**event)
