"""The defaults a fresh database gets: three risk thresholds (low and medium authorised by a
change manager, high by the CAB) and the two boards, without members."""

from django.db import migrations

THRESHOLDS = [("low", 0, "change_manager"), ("medium", 10, "change_manager"), ("high", 20, "cab")]
BOARDS = [
    ("cab", "Change advisory board", "quorum", 2),
    ("emergency", "Emergency change advisory board", "quorum", 2),
]


def add_defaults(apps, schema_editor):
    RiskThreshold = apps.get_model("changes", "RiskThreshold")  # noqa: N806
    ChangeBoard = apps.get_model("changes", "ChangeBoard")  # noqa: N806
    for level, score, route in THRESHOLDS:
        RiskThreshold.objects.get_or_create(level=level, defaults={"min_score": score, "route": route})
    for kind, name, rule, quorum in BOARDS:
        ChangeBoard.objects.get_or_create(kind=kind, defaults={"name": name, "rule": rule, "quorum": quorum})


def remove_defaults(apps, schema_editor):
    apps.get_model("changes", "RiskThreshold").objects.all().delete()
    apps.get_model("changes", "ChangeBoard").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
