"""Seed the standard CI classes, move each CI's old free-text `ci_type` onto a class, and give the
configuration manager role (accounts/roles.py) its group and the CMDB permissions."""

from django.db import migrations


def forwards(apps, schema_editor):
    from accounts.roles import sync_role_groups
    from cmdb.defaults import class_for_legacy_type, seed_classes

    ci_class_model = apps.get_model("cmdb", "CIClass")
    classes = seed_classes(ci_class_model, apps.get_model("cmdb", "AttributeDefinition"))
    item_model = apps.get_model("cmdb", "ConfigurationItem")
    for item in item_model.objects.filter(ci_class__isnull=True).iterator():
        code, name = class_for_legacy_type(item.ci_type, item.name)
        if code not in classes:
            classes[code], _created = ci_class_model.objects.get_or_create(
                code=code, defaults={"name": name}
            )
        item.ci_class = classes[code]
        item.save(update_fields=["ci_class"])
    sync_role_groups(apps)


def backwards(apps, schema_editor):
    item_model = apps.get_model("cmdb", "ConfigurationItem")
    for item in item_model.objects.select_related("ci_class").iterator():
        item.ci_type = item.ci_class.name[:60] if item.ci_class_id else ""
        item.save(update_fields=["ci_type"])


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0002_classes_relationships"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
