"""The defaults a fresh database gets: three risk thresholds (low and medium authorised by a
change manager, high by the CAB) and the two boards, without members. Written by the data
migration and again after a flush (as test runs do); never overwrites what an administrator set."""

THRESHOLDS = [("low", 0, "change_manager"), ("medium", 10, "change_manager"), ("high", 20, "cab")]
BOARDS = [
    ("cab", "Change advisory board", "quorum", 2),
    ("emergency", "Emergency change advisory board", "quorum", 2),
]


def seed_defaults(threshold_model, board_model) -> None:
    """Create the thresholds and boards when there are none. Idempotent."""
    if not threshold_model.objects.exists():
        for level, score, route in THRESHOLDS:
            threshold_model.objects.create(level=level, min_score=score, route=route)
    for kind, name, rule, quorum in BOARDS:
        board_model.objects.get_or_create(
            kind=kind, defaults={"name": name, "rule": rule, "quorum": quorum}
        )
