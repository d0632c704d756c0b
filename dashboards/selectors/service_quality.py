"""Service quality per service: the targets per service, availability and MTBF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards import rollup
from dashboards.scope import Scope
from dashboards.selectors.common import (
    DAYS_PER_MONTH,
    TARGET_AVAILABILITY,
    TARGET_FAULTS_PER_MONTH,
    TARGET_MTBF_HOURS,
    Column,
    Panel,
    _name,
    _names,
)
from dashboards.selectors.kpis import _status
from servicedesk import registry


def per_service(scope: Scope) -> Panel:
    opened = {
        k: v["opened"]
        for k, v in rollup.totals(scope, "created", "service_id").items()
        if v["opened"]
    }
    done = {
        k: v["resolved"]
        for k, v in rollup.totals(scope, "resolved", "service_id").items()
        if v["resolved"]
    }
    keys = set(opened) | set(done)
    names = _names("service", keys)
    rows = sorted(
        (
            {"name": _name(names, key), "opened": opened.get(key, 0), "resolved": done.get(key, 0)}
            for key in keys
        ),
        key=lambda row: (-row["opened"], row["name"]),
    )
    return Panel(
        key="per_service",
        title=str(_("Records per service")),
        columns=[
            Column("name", _("Service"), "text"),
            Column("opened", _("Opened")),
            Column("resolved", _("Resolved")),
        ],
        rows=rows,
        chart={"type": "bar", "x": "name", "series": ["opened", "resolved"], "horizontal": True},
    )


def availability(scope: Scope, now=None) -> Panel:
    """Per service: outage hours of major incidents and of incidents from monitoring (whose
    outage window is the alert's, from firing to recovery) in the period, availability, faults,
    MTBF.

    availability = uptime / hours of the period (up to now); MTBF = uptime / (faults + 1),
    on target when over 340 h or when there was no fault; a fault is such an incident whose
    outage started in the period. Outages overlapping the
    period's edges count for their part inside it.
    """
    Incident = registry.get("incident").model_class  # noqa: N806

    now = now or timezone.now()
    end = min(scope.end, max(now, scope.start))
    period_hours = (end - scope.start).total_seconds() / 3600
    months = scope.days / DAYS_PER_MONTH
    fault_target = TARGET_FAULTS_PER_MONTH * max(months, 1 / DAYS_PER_MONTH)
    overlap = ExpressionWrapper(
        Least(Coalesce("outage_ended_at", Value(now)), Value(end))
        - Greatest("outage_started_at", Value(scope.start)),
        output_field=DurationField(),
    )
    outages: dict[int, Any] = {
        row["service_id"]: row
        for row in Incident.objects.filter(
            scope.record_q(Incident),
            Q(major_incident=True) | Q(channel="monitoring"),
            service__isnull=False,
            outage_started_at__isnull=False,
            outage_started_at__lt=end,
        )
        .filter(Q(outage_ended_at__isnull=True) | Q(outage_ended_at__gt=scope.start))
        .values("service_id")
        .annotate(
            down=Sum(overlap),
            faults=Count("pk", filter=Q(outage_started_at__gte=scope.start)),
        )
        .order_by()
    }
    Service = registry.shared_model("service")  # noqa: N806
    services = Service.objects.filter(is_active=True)
    if scope.service_id:
        services = Service.objects.filter(pk=scope.service_id)
    rows = []
    for service_id, name in services.order_by("name").values_list("pk", "name"):
        row = outages.get(service_id, {"down": timedelta(0), "faults": 0})
        down = min(max(row["down"].total_seconds() / 3600, 0.0), period_hours)
        uptime = period_hours - down
        available = round(100 * uptime / period_hours, 3) if period_hours > 0 else None
        mtbf = round(uptime / (row["faults"] + 1), 1)
        rows.append(
            {
                "name": name,
                "outage_hours": round(down, 2),
                "faults": row["faults"],
                "availability": available,
                "availability_ok": _status(available, TARGET_AVAILABILITY),
                "mtbf_hours": mtbf,
                # No fault at all cannot miss a time-between-failures target, however short
                # the period (a month's first day has 24 h of uptime, far below 340 h).
                "mtbf_ok": "ok" if mtbf > TARGET_MTBF_HOURS or not row["faults"] else "bad",
                "faults_ok": "ok" if row["faults"] <= fault_target else "bad",
            }
        )
    rows.sort(key=lambda row: (row["availability"] or 0, row["name"]))
    return Panel(
        key="availability",
        title=str(_("Availability, faults and MTBF per service")),
        columns=[
            Column("name", _("Service"), "text"),
            Column("outage_hours", _("Outage (h)"), "hours"),
            Column("availability", _("Availability"), "pct3"),
            Column("availability_ok", _("Target 99.6%"), "status"),
            Column("faults", _("Faults")),
            Column("faults_ok", _("Target ≤ 5 a month"), "status"),
            Column("mtbf_hours", _("MTBF (h)"), "hours"),
            Column("mtbf_ok", _("Target > 340 h"), "status"),
        ],
        rows=rows,
        chart={"type": "bar", "x": "name", "series": ["availability"], "unit": "%", "horizontal": True},
        definition=str(_(
            "Availability = uptime / hours in the period (up to now); MTBF = uptime / (faults + "
            "1); a fault is a major incident whose outage started in the period, the outage "
            "being the window recorded on the incident. Targets are the service quality plan's monthly ones; "
            "the fault-count target is scaled to the period's length."
        )),
    )  # fmt: skip
