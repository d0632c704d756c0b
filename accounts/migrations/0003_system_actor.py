"""The system actor automation acts as (see servicedesk/actors.py, which recreates it after a
flush with the same values)."""

from django.contrib.auth.hashers import make_password
from django.db import migrations

SYSTEM_ACTOR_EMAIL = "system@servicedesk.invalid"


def create_system_actor(apps, schema_editor):
    apps.get_model("accounts", "User").objects.get_or_create(
        email=SYSTEM_ACTOR_EMAIL,
        defaults={
            "full_name": "Service Desk automation",
            "is_active": False,
            "is_staff": False,
            "password": make_password(None),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(create_system_actor, migrations.RunPython.noop)]
