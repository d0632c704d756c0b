"""The seed's priority matrix and levels (ITIL.md), loaded when the tables are empty.

The seed's matrix gives 6 for (urgency low, impact low), a level its priority table never
defines; that cell maps to 5 "Planning" here (README). Administrators edit both in the admin.
"""

LEVELS = [
    (1, "Critical", 60),
    (2, "High", 8 * 60),
    (3, "Medium", 24 * 60),
    (4, "Low", 48 * 60),
    (5, "Planning", None),
]

# (urgency, impact) -> level
MATRIX = {
    ("high", "high"): 1, ("high", "medium"): 2, ("high", "low"): 3,
    ("medium", "high"): 2, ("medium", "medium"): 3, ("medium", "low"): 4,
    ("low", "high"): 4, ("low", "medium"): 5, ("low", "low"): 5,
}  # fmt: skip


def seed_priority_defaults(apps) -> None:
    """Create the default levels and matrix unless an administrator has already set them up.

    Takes the (historical) app registry, so migrations can call it too.
    """
    level_model = apps.get_model("incidents", "PriorityLevel")
    cell_model = apps.get_model("incidents", "PriorityMatrixCell")
    if level_model.objects.exists() or cell_model.objects.exists():
        return
    level_model.objects.bulk_create(
        level_model(level=level, name=name, target_resolution_minutes=minutes)
        for level, name, minutes in LEVELS
    )
    cell_model.objects.bulk_create(
        cell_model(urgency=urgency, impact=impact, priority_id=level)
        for (urgency, impact), level in MATRIX.items()
    )


SCALE = [("high", "High", 1), ("medium", "Medium", 2), ("low", "Low", 3)]
RESOLUTION_CODES = [
    ("solved_permanently", "Solved (permanently)", True),
    ("solved_workaround", "Solved (workaround)", True),
    ("not_reproducible", "Not reproducible", True),
    ("duplicate", "Duplicate", True),
    ("user_error", "User error / advice given", True),
    ("resolved_by_parent", "Resolved with parent incident", False),
    ("recovered", "Recovered (monitoring)", False),  # event management's auto-resolve
]


def seed_scale_defaults(apps) -> None:
    """The 3 x 3 impact and urgency scale and the six resolution codes, unless an administrator
    has set them up already (the historical app registry, so migrations call it too)."""
    level = apps.get_model("incidents", "ScaleLevel")
    code = apps.get_model("incidents", "ResolutionCodeOption")
    if not level.objects.exists():
        level.objects.bulk_create(
            level(axis=axis, code=c, label=label, rank=rank)
            for axis in ("impact", "urgency")
            for c, label, rank in SCALE
        )
    if not code.objects.exists():
        code.objects.bulk_create(
            code(code=c, label=label, order=(n + 1) * 10, selectable=selectable)
            for n, (c, label, selectable) in enumerate(RESOLUTION_CODES)
        )
