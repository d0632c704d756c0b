from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    """Configuration management: configuration items, relationships and impact analysis."""

    name = "cmdb"
    verbose_name = _("Configuration management")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed_after_migrate, sender=self)


def _seed_after_migrate(sender, **kwargs):
    """Tables emptied by a flush (as test runs do) get the standard CI classes back."""
    from django.apps import apps

    from cmdb.defaults import seed_classes

    apps = kwargs.get("apps") or apps
    try:
        ci_class = apps.get_model("cmdb", "CIClass")
        attribute = apps.get_model("cmdb", "AttributeDefinition")
    except LookupError:  # migrating backwards, before the classes existed
        return
    seed_classes(ci_class, attribute)
