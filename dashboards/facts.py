"""Keeping `RecordFact` up to date: one row per record, rebuilt from the record and its SLA timers.

The refresh is incremental and idempotent: each run takes the records changed since the last
watermark (less a safety overlap), recomputes their rows and upserts them on (record type, id).
Running it twice, or two at once, gives the same rows. Each record type
that declares a dashboard feed in the kernel's registry is a source (see docs/dashboards.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise

from dashboards import rollup
from dashboards.models import RecordFact, RefreshState
from servicedesk import registry
from servicedesk.models import SatisfactionRating
from servicedesk.workflow import Meaning
from sla.models import Metric, SlaTarget, SlaTimer, TimerState
from sla.services import business_calendar

TIME_COLUMNS = ("created_at", "resolved_at", "response_ended_at", "resolution_ended_at", "rated_at")
OVERLAP = timedelta(minutes=2)  # transactions that committed late with an earlier timestamp
BATCH = 5_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UPDATE_FIELDS = [
    "number", "created_at", "resolved_at", "is_open", "priority", "service", "support_group",
    "organisation", "first_contact", "reassignments", "respond_seconds",
    "respond_business_seconds", "resolve_seconds", "resolve_business_seconds",
    "response_outcome", "response_ended_at", "resolution_outcome", "resolution_ended_at",
    "rating", "rated_at", "refreshed_at",
]  # fmt: skip


@dataclass(frozen=True)
class RecordSource:
    """How one record type feeds the dashboards.

    `changed` fields are the indexed timestamps whose movement means the row must be rebuilt;
    the optional attributes default when a record type does not have them (a service request
    has no first-contact flag: it counts as not resolved at first contact).
    """

    record_type: str
    model_label: str
    label: str | Promise
    detail_url_name: str
    changed: tuple[str, ...] = ("updated_at",)
    # A fact column the record keeps under another name, e.g. {"resolved_at": "closed_at"}.
    optional: dict = field(default_factory=dict)

    @property
    def model(self):
        return apps.get_model(self.model_label)

    @property
    def open_statuses(self) -> tuple[str, ...]:
        """The statuses with work left (open or paused), from the record type's workflow."""
        return tuple(self.model.WORKFLOW.open_states)

    @property
    def done_statuses(self) -> tuple[str, ...]:
        """The statuses that count as delivered (resolved), from the record type's workflow."""
        return tuple(self.model.WORKFLOW.states_meaning(Meaning.RESOLVED))


SOURCES: dict[str, RecordSource] = {}


def register(source: RecordSource) -> None:
    SOURCES[source.record_type] = source


def _source_of(record_type) -> RecordSource:
    """The dashboards' view of a registered record type (servicedesk.registry)."""
    feed = record_type.dashboard
    return RecordSource(
        record_type=record_type.key,
        model_label=record_type.model,
        label=record_type.label,
        detail_url_name=record_type.detail_url_name,
        changed=tuple(feed.changed),
        optional=dict(feed.optional),
    )


def sources() -> dict[str, RecordSource]:
    """Every record type that declares a dashboard feed, and any registered here directly."""
    for record_type in registry.all_types():
        if record_type.dashboard is not None and record_type.key not in SOURCES:
            register(_source_of(record_type))
    return SOURCES


def source(record_type: str) -> RecordSource:
    return sources()[record_type]


# --- Business time ------------------------------------------------------------------------------


class _Calendars:
    """The arithmetic object of each SLA target's calendar, loaded once per refresh."""

    def __init__(self):
        self.by_target = {
            target.pk: target.calendar for target in SlaTarget.objects.select_related("calendar")
        }

    def business_seconds(self, target_id, started_at, end, pauses) -> float | None:
        calendar = self.by_target.get(target_id)
        if calendar is None or end is None:
            return None
        arithmetic = business_calendar(calendar)
        spent = arithmetic.elapsed(started_at, end)
        for start, stop in pauses or []:
            stop_at = min(datetime.fromisoformat(stop), end) if stop else end
            start_at = datetime.fromisoformat(start)
            if stop_at > start_at:
                spent -= arithmetic.elapsed(start_at, stop_at)
        return max(spent.total_seconds(), 0.0)


def _timers(content_type_id: int, ids: list[int]) -> dict[tuple[int, str], dict]:
    """The latest non-cancelled first-response and resolution timer of each record."""
    latest: dict[tuple[int, str], dict] = {}
    rows = (
        SlaTimer.objects.filter(
            content_type_id=content_type_id,
            object_id__in=ids,
            metric__in=[Metric.FIRST_RESPONSE, Metric.RESOLUTION],
        )
        .exclude(state=TimerState.CANCELLED)
        .values(
            "object_id",
            "metric",
            "state",
            "target_id",
            "started_at",
            "stopped_at",
            "pauses",
            "breached_at",
            "id",
        )  # fmt: skip
    )
    for row in rows:
        key = (row["object_id"], row["metric"])
        known = latest.get(key)
        if known is None or (row["started_at"], row["id"]) > (known["started_at"], known["id"]):
            latest[key] = row
    return latest


def _outcome(timer: dict | None, calendars: _Calendars):
    """(outcome, ended at, business seconds) of a stopped timer; blanks while it runs."""
    if timer is None or timer["state"] not in ("met", "breached"):
        return "", None, None
    seconds = calendars.business_seconds(
        timer["target_id"], timer["started_at"], timer["stopped_at"], timer["pauses"]
    )
    return timer["state"], timer["stopped_at"], seconds


def build_facts(src: RecordSource, ids: list[int], *, calendars=None, now=None) -> list[RecordFact]:
    """The fact rows of these records (not saved)."""
    calendars = calendars or _Calendars()
    now = now or timezone.now()
    model = src.model
    names = {f.name for f in model._meta.get_fields()}
    wanted = ["id", "number", "status", "created_at", "priority", "support_group_id"]
    wanted += ["organisation_id"]
    optional = {
        "service_id": "service",
        "resolved_at": "resolved_at",
        "first_responded_at": "first_responded_at",
        "first_contact_resolution": "first_contact_resolution",
        "reassignment_count": "reassignment_count",
    }
    optional.update(src.optional)
    present = {column: name for column, name in optional.items() if name in names}
    same = [column for column, name in present.items() if column == name or column == f"{name}_id"]
    renamed = {column: F(name) for column, name in present.items() if column not in same}
    content_type = ContentType.objects.get_for_model(model)
    rows = model.objects.filter(pk__in=ids).values(*wanted, *same, **renamed)
    timers = _timers(content_type.pk, ids)
    ratings = {
        row["object_id"]: row
        for row in SatisfactionRating.objects.filter(
            content_type=content_type, object_id__in=ids
        ).values("object_id", "score", "created_at")
    }
    facts = []
    done_statuses, open_statuses = frozenset(src.done_statuses), frozenset(src.open_statuses)
    for row in rows:
        pk = row["id"]
        created = row["created_at"]
        done = row["status"] in done_statuses
        resolved_at = row.get("resolved_at") if done else None
        responded = row.get("first_responded_at")
        r_outcome, r_end, r_business = _outcome(timers.get((pk, Metric.FIRST_RESPONSE)), calendars)
        s_outcome, s_end, s_business = _outcome(timers.get((pk, Metric.RESOLUTION)), calendars)
        facts.append(
            RecordFact(
                record_type=src.record_type,
                object_id=pk,
                number=row["number"],
                created_at=created,
                resolved_at=resolved_at,
                is_open=row["status"] in open_statuses,
                priority=row["priority"],
                service_id=row.get("service_id"),
                support_group_id=row["support_group_id"],
                organisation_id=row["organisation_id"],
                first_contact=bool(row.get("first_contact_resolution")) and done,
                reassignments=row.get("reassignment_count") or 0,
                respond_seconds=(responded - created).total_seconds() if responded else None,
                respond_business_seconds=r_business,
                resolve_seconds=(resolved_at - created).total_seconds() if resolved_at else None,
                resolve_business_seconds=s_business if resolved_at else None,
                response_outcome=r_outcome,
                response_ended_at=r_end,
                resolution_outcome=s_outcome,
                resolution_ended_at=s_end,
                rating=ratings[pk]["score"] if pk in ratings else None,
                rated_at=ratings[pk]["created_at"] if pk in ratings else None,
                refreshed_at=now,
            )
        )
    return facts


def _save(facts: list[RecordFact]) -> None:
    RecordFact.objects.bulk_create(
        facts,
        update_conflicts=True,
        unique_fields=["record_type", "object_id"],
        update_fields=UPDATE_FIELDS,
        batch_size=2_000,
    )


def refresh(record_type: str = "incident", *, full: bool = False, now=None, out=None) -> int:
    """Bring the facts of one record type up to date; returns how many rows were rebuilt.

    Serialised by a PostgreSQL advisory lock: a second run at the same time returns 0 at once.
    """
    src = source(record_type)
    started = now or timezone.now()
    with transaction.atomic():
        if not _try_lock(record_type):
            return 0
        state = RefreshState.objects.select_for_update().filter(
            record_type=record_type
        ).first() or RefreshState.objects.create(record_type=record_type, watermark=EPOCH)
        since = EPOCH if full else state.watermark - OVERLAP
        changed = Q()
        for name in src.changed:
            changed |= Q(**{f"{name}__gte": since})
        queryset = src.model.objects.all() if since == EPOCH else src.model.objects.filter(changed)
        ids = set(queryset.values_list("pk", flat=True))
        if since != EPOCH:  # rated since: the rating is part of the row
            ids |= set(
                SatisfactionRating.objects.filter(
                    content_type=ContentType.objects.get_for_model(src.model), created_at__gte=since
                ).values_list("object_id", flat=True)
            )
        ids = sorted(ids)
        calendars = _Calendars()
        months: set = set()
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            built = build_facts(src, batch, calendars=calendars, now=started)
            if since != EPOCH:  # the months the rows were in, and are in now
                months |= rollup.months_of(
                    RecordFact.objects.filter(record_type=record_type, object_id__in=batch).values(
                        *TIME_COLUMNS
                    )
                )
                months |= rollup.months_of({c: getattr(f, c) for c in TIME_COLUMNS} for f in built)
            _save(built)
            if out:
                out(f"  {min(start + BATCH, len(ids)):>10,} / {len(ids):,} {record_type} facts")
        closed = rollup.closed_months_before()
        if since == EPOCH or state.rolled_up_to is None:
            rollup.rebuild_all(record_type)
        else:
            # A month that has just ended gets its sums (even when nothing in it changed).
            month = state.rolled_up_to
            while month < closed:
                months.add(month)
                month = rollup.next_month(month)
            rollup.rebuild(record_type, months)
        state.rolled_up_to = closed
        state.watermark = started
        state.last_run_at = timezone.now()
        state.last_count = len(ids)
        state.save()
    return len(ids)


def refresh_records(record_type: str, ranges: list[tuple[int, int]], *, now=None) -> int:
    """Rebuild the facts of the records whose ids fall in `ranges` ([first, last] pairs, as an
    import writes them) and the past months they were or are now in; returns how many rows.

    An import's records carry old times, which the incremental refresh (by `updated_at`
    since the watermark) would never reach; the watermark is left as it is. Serialised with
    `refresh` by the same advisory lock: taken by a refresh running now, this waits for it.
    """
    src = source(record_type)
    started = now or timezone.now()
    done = 0
    with transaction.atomic():
        _lock(record_type)
        calendars = _Calendars()
        months: set = set()
        for first, last in ranges:
            ids = list(
                src.model.objects.filter(pk__gte=first, pk__lte=last)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for start in range(0, len(ids), BATCH):
                batch = ids[start : start + BATCH]
                built = build_facts(src, batch, calendars=calendars, now=started)
                months |= rollup.months_of(
                    RecordFact.objects.filter(record_type=record_type, object_id__in=batch).values(
                        *TIME_COLUMNS
                    )
                )
                months |= rollup.months_of({c: getattr(f, c) for c in TIME_COLUMNS} for f in built)
                _save(built)
                done += len(built)
        rollup.rebuild(record_type, months)
    return done


def refresh_all(**kwargs) -> dict[str, int]:
    return {record_type: refresh(record_type, **kwargs) for record_type in sources()}


def last_refresh() -> datetime | None:
    state = RefreshState.objects.order_by("last_run_at").first()
    return state.last_run_at if state else None


def _lock(record_type: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"dash:{record_type}"])


def _try_lock(record_type: str) -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"dash:{record_type}"])
        return bool(cursor.fetchone()[0])
