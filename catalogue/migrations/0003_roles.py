"""Give the roles the catalogue's permissions (work requests and tasks; administer the catalogue)."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_catalogue_and_requests"),
        ("knowledge", "0001_initial"),
        ("portal", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
