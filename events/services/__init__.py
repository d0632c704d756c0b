"""Every write of event management (re-exported: `from events import services`)."""

from events.services.ingest import (
    IngestResult,
    alerts_ingest,
    event_acknowledge,
    events_prune,
    source_create,
)
from events.services.processing import (
    event_open_incident,
    event_process,
    events_process_pending,
    events_release_held,
)
from events.services.rules import silence_create

__all__ = [
    "IngestResult",
    "alerts_ingest",
    "event_acknowledge",
    "event_open_incident",
    "event_process",
    "events_process_pending",
    "events_prune",
    "events_release_held",
    "silence_create",
    "source_create",
]
