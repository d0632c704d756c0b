from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Incident management: register, respond, diagnose, resolve and close incidents."""

    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from django.db.models.signals import post_migrate

        from incidents.records import register_incidents

        post_migrate.connect(_seed_after_migrate, sender=self)
        register_incidents()


def _seed_after_migrate(sender, **kwargs):
    """Tables emptied by a flush (as test runs do) get the default matrix back."""
    from django.apps import apps

    from incidents.defaults import seed_priority_defaults
    from incidents.priority import forget_priority_data

    seed_priority_defaults(kwargs.get("apps") or apps)
    forget_priority_data()
