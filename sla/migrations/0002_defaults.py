"""The default calendars, incident policies and escalation rules; see sla/defaults.py."""

from django.conf import settings
from django.db import migrations


def seed(apps, schema_editor):
    from sla.defaults import seed_sla_defaults

    seed_sla_defaults(apps, time_zone=settings.TIME_ZONE)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
