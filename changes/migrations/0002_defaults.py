"""The default risk thresholds and boards (changes/defaults.py)."""

from django.db import migrations

from changes.defaults import seed_defaults


def add_defaults(apps, schema_editor):
    seed_defaults(apps.get_model("changes", "RiskThreshold"), apps.get_model("changes", "ChangeBoard"))


def remove_defaults(apps, schema_editor):
    apps.get_model("changes", "RiskThreshold").objects.all().delete()
    apps.get_model("changes", "ChangeBoard").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
