"""Intake's one statement on PostgreSQL: a batch of alerts with distinct fingerprints stored,
deduplicated and receipted in a single `INSERT ... ON CONFLICT` with its companions.

The alerts go in as one array per column (`unnest`), so the statement's text is the same
whatever the batch's size and Python builds no model instance per alert. The receipts and the
active events are looked up with the batch's keys and fingerprints as arrays, so each is an
index scan of the batch's rows whatever the planner believes of the tables. In one statement:

- the alerts whose key a receipt already holds are left out (duplicates);
- a resolved alert resolves the active event of its fingerprint (`pending` for the worker);
- a firing alert is inserted as a new open event, or, on the partial unique index of the
  active events (`events_event_one_active`), adds one to the active event's count, moves its
  last seen time and takes the new severity, summary and labels; a resolved alert whose firing
  never reached us is kept as a resolved event;
- a receipt per alert taken, unique on (source, key).

A concurrent request that took one of the keys between the read and the write makes the
receipts' insert fail (IntegrityError): the caller then goes the per-alert way.
"""

import json
from typing import Any

from django.db import connection

from events.choices import ACTIVE_STATES, EventState, Processing
from events.parsers import FIRING, Alert

# Deadlock, serialisation failure: nothing was written, the per-alert way can be taken.
RETRYABLE = ("40P01", "40001")

_ACTIVE = ", ".join(f"'{state}'" for state in ACTIVE_STATES)

_SQL = f"""
WITH incoming AS (
    SELECT * FROM unnest(
        %(keys)s::varchar[], %(fingerprints)s::varchar[], %(firing)s::boolean[],
        %(hosts)s::varchar[], %(checks)s::varchar[], %(summaries)s::varchar[],
        %(severities)s::varchar[], %(labels)s::jsonb[], %(annotations)s::jsonb[],
        %(first_seen)s::timestamptz[], %(ended)s::timestamptz[]
    ) AS alert (key, fingerprint, firing, host, service_name, summary, severity, labels,
                annotations, first_seen_at, ended_at)
),
fresh AS MATERIALIZED (
    SELECT incoming.* FROM incoming
    WHERE incoming.key <> ALL (ARRAY(
        SELECT key FROM events_receipt
        WHERE source_id = %(source)s AND key = ANY (%(keys)s::varchar[])
    ))
),
cleared AS (
    UPDATE events_event AS event
    SET state = '{EventState.RESOLVED}', resolved_at = LEAST(fresh.ended_at, %(now)s),
        last_seen_at = %(now)s, processing = '{Processing.PENDING}'
    FROM fresh
    WHERE cardinality(%(resolving)s::varchar[]) > 0 AND NOT fresh.firing
        AND event.source_id = %(source)s AND event.fingerprint = ANY (%(resolving)s::varchar[])
        AND event.fingerprint = fresh.fingerprint AND event.state IN ({_ACTIVE})
    RETURNING event.id, event.fingerprint
),
taken AS (
    INSERT INTO events_event AS event (
        source_id, fingerprint, host, service_name, summary, severity, labels, annotations,
        state, first_seen_at, last_seen_at, resolved_at, count, processing, error
    )
    SELECT %(source)s, fingerprint, host, service_name, summary, severity, labels,
        annotations,
        CASE WHEN firing THEN '{EventState.OPEN}' ELSE '{EventState.RESOLVED}' END,
        first_seen_at, %(now)s, CASE WHEN firing THEN NULL ELSE ended_at END, 1,
        CASE WHEN firing THEN '{Processing.PENDING}' ELSE '{Processing.DONE}' END, ''
    FROM fresh
    WHERE firing OR fingerprint NOT IN (SELECT fingerprint FROM cleared)
    ORDER BY fingerprint
    ON CONFLICT (source_id, fingerprint) WHERE state IN ({_ACTIVE}) DO UPDATE SET
        count = event.count + 1, last_seen_at = EXCLUDED.last_seen_at,
        severity = EXCLUDED.severity,
        summary = COALESCE(NULLIF(EXCLUDED.summary, ''), event.summary),
        labels = event.labels || EXCLUDED.labels
    RETURNING event.id, event.fingerprint, event.xmax = 0 AS inserted
),
receipts AS (
    INSERT INTO events_receipt (source_id, key, event_id, received_at)
    SELECT %(source)s, fresh.key, COALESCE(cleared.id, taken.id), %(now)s
    FROM fresh
    LEFT JOIN cleared ON cleared.fingerprint = fresh.fingerprint
    LEFT JOIN taken ON taken.fingerprint = fresh.fingerprint
)
SELECT
    (SELECT count(*) FROM taken WHERE inserted),
    (SELECT count(*) FROM taken WHERE NOT inserted),
    (SELECT count(*) FROM cleared),
    (SELECT count(*) FROM fresh)
"""  # noqa: S608 - the states are the code's own constants; every value is a parameter


def alerts_upsert(*, source_id: int, alerts: list[Alert], now: Any) -> dict[str, int]:
    """Store `alerts` (distinct fingerprints) of one source in one statement, inside the
    caller's transaction; returns the counts of `IngestResult`. IntegrityError when a
    concurrent request took one of the keys first (nothing of the statement is kept)."""
    columns: dict[str, list[Any]] = {
        name: []
        for name in ("keys", "fingerprints", "firing", "hosts", "checks", "summaries",
                     "severities", "labels", "annotations", "first_seen", "ended")
    }  # fmt: skip
    dumps = json.dumps
    for alert in alerts:
        columns["keys"].append(alert.key)
        columns["fingerprints"].append(alert.fingerprint)
        columns["firing"].append(alert.status == FIRING)
        columns["hosts"].append(alert.host)
        columns["checks"].append(alert.service_name)
        columns["summaries"].append(alert.summary)
        columns["severities"].append(str(alert.severity))
        columns["labels"].append(dumps(alert.labels))
        columns["annotations"].append(dumps(alert.annotations))
        starts = alert.starts_at
        columns["first_seen"].append(now if starts is None or starts > now else starts)
        columns["ended"].append(alert.ends_at or now)
    with connection.cursor() as cursor:
        resolving = [alert.fingerprint for alert in alerts if alert.status != FIRING]
        cursor.execute(_SQL, {**columns, "resolving": resolving, "source": source_id, "now": now})
        created, updated, resolved, fresh = cursor.fetchone()
    return {"created": created, "updated": updated, "resolved": resolved,
            "duplicates": len(alerts) - fresh}  # fmt: skip
