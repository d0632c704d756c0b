"""Priority = impact x urgency over the administrator's matrix.

`priority_for` is pure; `current_matrix` loads the matrix (a handful of rows) once and keeps it in
each process (`servicedesk.memo`) until an administrator edits it.
"""

from collections.abc import Mapping

from incidents.models import PriorityLevel, PriorityMatrixCell
from servicedesk import memo

MATRIX_CACHE_KEY = "incidents:priority-matrix:v1"
LEVELS_CACHE_KEY = "incidents:priority-levels:v1"

Matrix = Mapping[tuple[str, str], int]


def priority_for(impact: str, urgency: str, matrix: Matrix) -> int:
    """The priority level of (impact, urgency). Raises KeyError for a pair the matrix lacks."""
    return matrix[(impact, urgency)]


def current_matrix() -> dict[tuple[str, str], int]:
    return memo.reference(
        MATRIX_CACHE_KEY,
        lambda: {
            (impact, urgency): level
            for impact, urgency, level in PriorityMatrixCell.objects.values_list(
                "impact", "urgency", "priority_id"
            )
        },
    )


def priority_levels() -> dict[int, dict]:
    """{level: {"name": ..., "target_resolution_minutes": ...}} for display and targets."""
    return memo.reference(
        LEVELS_CACHE_KEY,
        lambda: {
            row["level"]: row
            for row in PriorityLevel.objects.values(
                "level", "name", "description", "target_resolution_minutes"
            )
        },
    )


def forget_priority_data() -> None:
    memo.retire()  # the callers call it again after their commit


# How an old tool computed priority from the ranks (1 = highest) of impact and urgency.
RULES = ("min", "sum")


def priority_by_rule(impact_rank: int, urgency_rank: int, *, rule: str, cap: int) -> int:
    """`min`: min(impact, urgency); `sum`: min(cap, impact + urgency - 1). Pure."""
    if rule == "min":
        return min(impact_rank, urgency_rank)
    if rule == "sum":
        return min(cap, impact_rank + urgency_rank - 1)
    raise ValueError(f"unknown priority rule {rule!r}")


def matrix_by_rule(
    impacts: list[str], urgencies: list[str], *, rule: str, cap: int
) -> dict[tuple[str, str], int]:
    """The matrix a rule gives over two scales given highest first."""
    return {
        (impact, urgency): priority_by_rule(i + 1, u + 1, rule=rule, cap=cap)
        for i, impact in enumerate(impacts)
        for u, urgency in enumerate(urgencies)
    }
