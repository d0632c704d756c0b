"""The system actor automation acts as (see servicedesk/actors.py)."""

from django.db import migrations


def create_system_actor(apps, schema_editor):
    from servicedesk.actors import system_actor_ensure

    system_actor_ensure(apps.get_model("accounts", "User"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(create_system_actor, migrations.RunPython.noop)]
