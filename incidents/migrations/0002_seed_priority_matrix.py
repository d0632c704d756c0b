"""The seed's priority matrix and levels; see incidents/defaults.py."""

from django.db import migrations


def seed(apps, schema_editor):
    from incidents.defaults import seed_priority_defaults

    seed_priority_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
