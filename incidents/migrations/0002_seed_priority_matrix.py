"""The seed's priority matrix and levels (ITIL.md). The matrix's (urgency low, impact low) cell
says 6, a level the seed never defines; it maps to 5 "Planning" here (see README)."""

from django.db import migrations

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


def seed(apps, schema_editor):
    level_model = apps.get_model("incidents", "PriorityLevel")
    cell_model = apps.get_model("incidents", "PriorityMatrixCell")
    for level, name, minutes in LEVELS:
        level_model.objects.get_or_create(
            level=level, defaults={"name": name, "target_resolution_minutes": minutes}
        )
    for (urgency, impact), level in MATRIX.items():
        cell_model.objects.get_or_create(
            urgency=urgency, impact=impact, defaults={"priority_id": level}
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
