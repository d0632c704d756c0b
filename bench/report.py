"""Measurements and the markdown table they are printed in."""

import math
from dataclasses import dataclass, field


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p50 of 50 samples is the 25th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Measurement:
    what: str
    size: int = 0
    timings_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    throughput: str = ""
    note: str = ""  # "not available", "HTTP 500 ..." when there is nothing to measure
    target: str = ""
    met: bool | None = None
    slowest_sql: str = ""
    slowest_sql_ms: float = 0.0
    plan_warnings: list[tuple[str, str]] = field(default_factory=list)  # (sql, plan)

    @property
    def ok(self) -> bool:
        return bool(self.timings_ms)

    @property
    def p50(self) -> float:
        return percentile(self.timings_ms, 0.50)

    @property
    def p95(self) -> float:
        return percentile(self.timings_ms, 0.95)

    @property
    def max(self) -> float:
        return max(self.timings_ms) if self.timings_ms else math.nan

    def queries_text(self) -> str:
        if not self.queries:
            return "-"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"

    def db_text(self) -> str:
        return f"{percentile(self.db_ms, 0.5):.1f}" if self.db_ms else "-"


def human_count(n: int) -> str:
    thousands = round(n / 1_000)
    if thousands >= 1_000:
        return f"{n / 1_000_000:.1f}M"
    if thousands >= 1:
        return f"{thousands}k"
    return str(n)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def markdown_table(rows: list[Measurement]) -> str:
    header = (
        "| What | Incidents | p50 ms | p95 ms | max ms | Queries/request | DB ms (p50) "
        "| Throughput | Target |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        if row.ok:
            target = row.target
            if row.target and row.met is not None:
                target = f"{row.target}: {'met' if row.met else '**missed**'}"
            cells = [
                row.what,
                human_count(row.size),
                _ms(row.p50),
                _ms(row.p95),
                _ms(row.max),
                row.queries_text(),
                row.db_text(),
                row.throughput or "",
                target,
            ]
        else:
            cells = [row.what, human_count(row.size), row.note or "not available"]
            cells += ["", "", "", "", "", row.target]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
