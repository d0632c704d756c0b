"""Create the eight roles as groups with their permissions (see accounts/roles.py)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


def remove_roles(apps, schema_editor):
    from accounts.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=Role.values).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("servicedesk", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
