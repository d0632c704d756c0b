"""The panels of the SLA and KPI pages, by key."""

from __future__ import annotations

from dashboards.scope import Scope
from dashboards.selectors.common import Panel
from dashboards.selectors.compliance import (
    breached_now,
    breaches,
    breaching_soon,
    sla_by,
    sla_summary,
    sla_trend,
)
from dashboards.selectors.kpis import kpi_summary, satisfaction, summary, times, volume_trend
from dashboards.selectors.service_quality import availability, per_service
from dashboards.selectors.workload import backlog, reassignments

# --- Pages --------------------------------------------------------------------------------------

SLA_PANELS = {
    "sla_summary": sla_summary,
    "sla_trend": sla_trend,
    "sla_by_priority": lambda scope: sla_by(scope, "priority"),
    "sla_by_service": lambda scope: sla_by(scope, "service"),
    "sla_by_support_group": lambda scope: sla_by(scope, "support_group"),
    "sla_by_organisation": lambda scope: sla_by(scope, "organisation"),
    "breaches": breaches,
    "breached_now": breached_now,
    "breaching_soon": breaching_soon,
}
KPI_PANELS = {
    "kpis": kpi_summary,
    "times": times,
    "volume": volume_trend,
    "backlog_priority": lambda scope: backlog(scope, "priority"),
    "backlog_support_group": lambda scope: backlog(scope, "support_group"),
    "reassignments": reassignments,
    "satisfaction": satisfaction,
    "per_service": per_service,
    "availability": availability,
}
PANELS = {**SLA_PANELS, **KPI_PANELS}


def kpi_page(scope: Scope) -> list[Panel]:
    """The KPI panels, sharing the one summary query set between the table and its parts."""
    numbers = summary(scope)
    return [
        kpi_summary(scope, numbers),
        times(scope, numbers["figures"]),
        volume_trend(scope),
        backlog(scope, "priority"),
        backlog(scope, "support_group"),
        reassignments(scope),
        satisfaction(scope, numbers["rating_counts"]),
        per_service(scope),
        availability(scope),
    ]


def sla_page(scope: Scope) -> list[Panel]:
    return [function(scope) for function in SLA_PANELS.values()]
