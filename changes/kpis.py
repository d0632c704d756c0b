"""Change management's KPIs (the seed's list, ../shared/ITIL.md "Change management details"):
each a few aggregate queries over a period that ends now.

- **On planned time**: of the changes whose implementation ended in the period (`actual_end`),
  those that started no earlier than their planned start and ended no later than their
  planned end.
- **First-time success**: of the changes closed in the period with a closure code, those closed
  "successful" (not with issues, failed or backed out).
- **Emergency share**: of the changes raised in the period, the emergency ones.
- **Unauthorised changes**: CIs changed in the CMDB in the period (their audit rows: field,
  status and relationship changes) with no change covering the moment: no change on that CI,
  past its authorisation (scheduled, implementing, in review or closed), whose window held the
  moment (its actual window once it started, else its planned one). Counted as CIs and as
  edits; the latest are listed.
- **Changes that caused incidents**: of the changes whose implementation ended in the period,
  those some record (an incident) is linked to as "caused by", or whose review names incidents.
- **Backlog and ageing**: the open changes now, by status and by age since they were raised.
- **CAB decision time**: from asking to deciding, over the approval rounds on changes decided
  in the period (mean and median), by route (a change manager, the CAB's quorum, all members).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
)
from django.utils import timezone

from changes.choices import ChangeStatus, ChangeType, Outcome
from changes.models import Change
from cmdb.models import ConfigurationItem
from servicedesk.models import (
    ApprovalSet,
    ApprovalSetStatus,
    AuditEvent,
    AuditKind,
    LinkKind,
    RecordLink,
)

PERIODS = (30, 90, 365)
OPEN_STATUSES = (
    ChangeStatus.REQUESTED,
    ChangeStatus.ASSESSED,
    ChangeStatus.AUTHORISED,
    ChangeStatus.SCHEDULED,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.REVIEW,
)
# A change on a CI past its authorisation: its window covers the CI's edits.
COVERING_STATUSES = (
    ChangeStatus.SCHEDULED,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.REVIEW,
    ChangeStatus.CLOSED,
)
CI_EDIT_KINDS = (AuditKind.FIELD_CHANGED, AuditKind.STATUS_CHANGED)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    # (key, from days, to days): [from, to)
    ("under_7", 0, 7),
    ("7_30", 7, 30),
    ("30_90", 30, 90),
    ("over_90", 90, None),
)
LATEST_UNAUTHORISED = 20


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None when there is nothing to share."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return share(self.part, self.whole)


@dataclass
class ChangeKpis:
    since: datetime
    until: datetime
    on_time: Ratio
    first_time_success: Ratio
    outcomes: dict[str, int]
    emergency: Ratio
    unauthorised_cis: int
    unauthorised_edits: int
    unauthorised_latest: list[dict[str, Any]]
    caused_incidents: Ratio
    incidents_caused: int
    backlog: dict[str, dict[str, int]]  # status -> {age bucket: count}
    backlog_total: int
    decision_rounds: int
    decision_mean: timedelta | None
    decision_median: timedelta | None
    decision_by_rule: dict[str, tuple[int, timedelta | None]] = field(default_factory=dict)


def on_planned_time(*, since: datetime, until: datetime) -> Ratio:
    done = Change.objects.filter(
        actual_end__gte=since,
        actual_end__lt=until,
        actual_start__isnull=False,
        planned_start__isnull=False,
    )
    figures = done.aggregate(
        whole=Count("id"),
        part=Count(
            "id",
            filter=Q(actual_start__gte=F("planned_start"), actual_end__lte=F("planned_end")),
        ),
    )
    return Ratio(figures["part"], figures["whole"])


def outcomes(*, since: datetime, until: datetime) -> dict[str, int]:
    rows = (
        Change.objects.filter(status=ChangeStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)
        .exclude(outcome="")
        .values("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    return dict(rows)


def emergency_share(*, since: datetime, until: datetime) -> Ratio:
    figures = Change.objects.filter(created_at__gte=since, created_at__lt=until).aggregate(
        whole=Count("id"), part=Count("id", filter=Q(change_type=ChangeType.EMERGENCY))
    )
    return Ratio(figures["part"], figures["whole"])


def unauthorised_edits(*, since: datetime, until: datetime):
    """The CI audit rows of the period with no change covering their moment (a queryset)."""
    through = Change.configuration_items.through
    moment = OuterRef("created_at")
    covered = through.objects.filter(
        configurationitem_id=OuterRef("object_id"),
        change__status__in=COVERING_STATUSES,
    ).filter(
        Q(
            change__actual_start__isnull=False,
            change__actual_start__lte=moment,
            change__actual_end__isnull=True,
        )
        | Q(change__actual_start__lte=moment, change__actual_end__gte=moment)
        | Q(
            change__actual_start__isnull=True,
            change__planned_start__lte=moment,
            change__planned_end__gte=moment,
        )
    )
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ConfigurationItem),
        kind__in=CI_EDIT_KINDS,
        created_at__gte=since,
        created_at__lt=until,
    ).exclude(Exists(covered))


def caused_incidents(*, since: datetime, until: datetime) -> tuple[Ratio, int]:
    """(changes implemented in the period that caused incidents / all implemented, and the
    records linked to them as caused by them)."""
    links = RecordLink.objects.filter(
        kind=LinkKind.CAUSED_BY, target_type=ContentType.objects.get_for_model(Change)
    )
    done = Change.objects.filter(actual_end__gte=since, actual_end__lt=until)
    linked = links.filter(target_id=OuterRef("pk"))
    figures = done.aggregate(
        whole=Count("id"),
        part=Count("id", filter=Q(Exists(linked)) | ~Q(review_incidents="")),
    )
    incidents = links.filter(target_id__in=done.values("pk")).count()
    return Ratio(figures["part"], figures["whole"]), incidents


def backlog(*, now: datetime) -> dict[str, dict[str, int]]:
    """{status: {age bucket: open changes}}, one grouped count per bucket."""
    rows = Change.objects.filter(status__in=OPEN_STATUSES)
    table: dict[str, dict[str, int]] = {status: {} for status in OPEN_STATUSES}
    for key, start, end in AGE_BUCKETS:
        bucket = rows.filter(created_at__lte=now - timedelta(days=start))
        if end is not None:
            bucket = bucket.filter(created_at__gt=now - timedelta(days=end))
        for status, n in bucket.values("status").annotate(n=Count("id")).values_list("status", "n"):
            table[status][key] = n
    return table


def decision_times(*, since: datetime, until: datetime):
    """(rounds, mean, median, {rule: (rounds, mean)}) of the approval rounds on changes decided
    in the period."""
    rounds = ApprovalSet.objects.filter(
        content_type=ContentType.objects.get_for_model(Change),
        status__in=(ApprovalSetStatus.APPROVED, ApprovalSetStatus.REJECTED),
        decided_at__gte=since,
        decided_at__lt=until,
    )
    took = ExpressionWrapper(F("decided_at") - F("created_at"), DurationField())
    by_rule = {
        rule: (n, mean)
        for rule, n, mean in rounds.values("rule")
        .annotate(n=Count("id"), mean=Avg(took))
        .values_list("rule", "n", "mean")
        .order_by("rule")
    }
    total = sum(n for n, _mean in by_rule.values())
    mean = None
    if total:
        seconds = sum(m.total_seconds() * n for n, m in by_rule.values() if m is not None)
        mean = timedelta(seconds=seconds / total)
    median = None
    if total and connection.vendor == "postgresql":
        seconds = rounds.aggregate(p=_MedianSeconds(took))["p"]
        median = timedelta(seconds=seconds) if seconds is not None else None
    elif total:
        # SQLite (the embedded default) has no percentile: the median of its rounds in Python,
        # interpolated as percentile_cont is.
        spans = [
            (decided - asked).total_seconds()
            for asked, decided in rounds.values_list("created_at", "decided_at")
            if asked is not None and decided is not None
        ]
        median = timedelta(seconds=statistics.median(spans)) if spans else None
    return total, mean, median, by_rule


def change_kpis(*, days: int = 90, now: datetime | None = None) -> ChangeKpis:
    until = now or timezone.now()
    since = until - timedelta(days=days)
    closed = outcomes(since=since, until=until)
    caused, incidents = caused_incidents(since=since, until=until)
    edits = unauthorised_edits(since=since, until=until)
    latest = list(
        edits.order_by("-created_at", "-id").values(
            "object_id", "field", "old_text", "new_text", "created_at", "actor__full_name"
        )[:LATEST_UNAUTHORISED]
    )
    names = dict(
        ConfigurationItem.objects.filter(pk__in={row["object_id"] for row in latest}).values_list(
            "pk", "name"
        )
    )
    for row in latest:
        row["ci_name"] = names.get(row["object_id"], "")
    table = backlog(now=until)
    rounds, mean, median, by_rule = decision_times(since=since, until=until)
    counted = edits.aggregate(cis=Count("object_id", distinct=True), edits=Count("id"))
    return ChangeKpis(
        since=since,
        until=until,
        on_time=on_planned_time(since=since, until=until),
        first_time_success=Ratio(closed.get(Outcome.SUCCESSFUL, 0), sum(closed.values())),
        outcomes=closed,
        emergency=emergency_share(since=since, until=until),
        unauthorised_cis=counted["cis"],
        unauthorised_edits=counted["edits"],
        unauthorised_latest=latest,
        caused_incidents=caused,
        incidents_caused=incidents,
        backlog=table,
        backlog_total=sum(sum(row.values()) for row in table.values()),
        decision_rounds=rounds,
        decision_mean=mean,
        decision_median=median,
        decision_by_rule=by_rule,
    )


class _MedianSeconds(Aggregate):
    """PostgreSQL's median of an interval, in seconds."""

    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


def dashboard_panel_context(request: Any) -> dict[str, Any] | None:
    """The service-level dashboard's "Changes" panel (the `sla_dashboard` slot): the last 30
    days' headline KPIs, for those who may see changes."""
    if request is None or not request.user.has_perm("changes.view_change"):
        return None
    return {"change_kpis": change_kpis(days=30)}
