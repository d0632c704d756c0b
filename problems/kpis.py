"""Problem management's figures (the problem KPIs page): each a few aggregate queries.

- open problems by age bucket and priority (one grouped count);
- known errors: open ones (the KEDB's live entries) and all ever published;
- incidents linked to problems (caused_by links from incidents), and how many are still open;
- mean time to root cause: from a problem's creation to its first recorded root cause, over
  the problems whose root cause was found in the period;
- the share of incidents resolved in the period with a known workaround
  (`incidents_resolved_by_workaround`: resolved "solved (workaround)" while linked to a known
  error; the known-error search may count its own "workaround applied" events here too).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident
from problems.models import Problem
from problems.workflow import PROBLEM_WORKFLOW
from servicedesk.models import LinkKind, RecordLink

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    # (key, from days, to days): [from, to)
    ("under_7", 0, 7),
    ("7_30", 7, 30),
    ("30_90", 30, 90),
    ("over_90", 90, None),
)


@dataclass(frozen=True)
class ProblemKpis:
    since: datetime
    by_age: dict[str, dict[int, int]]  # bucket -> {priority: count}
    priorities: list[int]
    open_total: int
    known_errors_open: int
    known_errors_total: int
    linked_incidents: int
    linked_incidents_open: int
    mean_time_to_root_cause: timedelta | None
    root_causes_found: int
    resolved_incidents: int
    resolved_by_workaround: int

    @property
    def workaround_share(self) -> float | None:
        if not self.resolved_incidents:
            return None
        return self.resolved_by_workaround / self.resolved_incidents


def open_by_age(*, now: datetime) -> dict[str, dict[int, int]]:
    """{bucket: {priority: open problems}}: one grouped count per bucket over the open index."""
    rows = Problem.objects.filter(status__in=PROBLEM_WORKFLOW.open_states)
    table: dict[str, dict[int, int]] = {}
    for key, start, end in AGE_BUCKETS:
        bucket = rows.filter(created_at__lte=now - timedelta(days=start))
        if end is not None:
            bucket = bucket.filter(created_at__gt=now - timedelta(days=end))
        counts = bucket.values("priority").annotate(n=Count("id")).values_list("priority", "n")
        table[key] = dict(counts)
    return table


def _caused_by_problem() -> QuerySet[RecordLink]:
    return RecordLink.objects.filter(
        kind=LinkKind.CAUSED_BY,
        source_type=ContentType.objects.get_for_model(Incident),
        target_type=ContentType.objects.get_for_model(Problem),
    )


def linked_incident_ids():
    """The ids of incidents some problem causes (a subquery)."""
    return _caused_by_problem().values("source_id")


def incidents_resolved_by_workaround(*, since: datetime) -> int:
    """Incidents resolved since `since` with the workaround of a known error they are linked to."""
    known = Problem.objects.filter(known_error_at__isnull=False).values("id")
    linked = _caused_by_problem().filter(target_id__in=known).values("source_id")
    return Incident.objects.filter(
        pk__in=linked,
        resolved_at__gte=since,
        resolution_code=ResolutionCode.SOLVED_WORKAROUND,
    ).count()


def problem_kpis(*, days: int = 90, now: datetime | None = None) -> ProblemKpis:
    now = now or timezone.now()
    since = now - timedelta(days=days)
    by_age = open_by_age(now=now)
    priorities = sorted({p for counts in by_age.values() for p in counts})
    known = Problem.objects.filter(known_error_at__isnull=False).exclude(status="cancelled")
    linked = Incident.objects.filter(pk__in=linked_incident_ids())
    to_root_cause = ExpressionWrapper(F("root_cause_at") - F("created_at"), DurationField())
    found = Problem.objects.filter(root_cause_at__gte=since, root_cause_at__lte=now).aggregate(
        mean=Avg(to_root_cause), n=Count("id")
    )
    resolved = Incident.objects.filter(resolved_at__gte=since, resolved_at__lte=now).filter(
        Q(status=IncidentStatus.RESOLVED) | Q(status=IncidentStatus.CLOSED)
    )
    return ProblemKpis(
        since=since,
        by_age=by_age,
        priorities=priorities,
        open_total=sum(sum(counts.values()) for counts in by_age.values()),
        known_errors_open=known.filter(status="known_error").count(),
        known_errors_total=known.count(),
        linked_incidents=linked.count(),
        linked_incidents_open=linked.filter(status__in=Incident.WORKFLOW.open_states).count(),
        mean_time_to_root_cause=found["mean"],
        root_causes_found=found["n"],
        resolved_incidents=resolved.count(),
        resolved_by_workaround=incidents_resolved_by_workaround(since=since),
    )
