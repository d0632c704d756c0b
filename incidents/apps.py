from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Incident management: register, respond, diagnose, resolve and close incidents."""

    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from django.db.models.signals import post_migrate

        from accounts.models import SupportGroup
        from incidents import models
        from incidents.api.reference import INCIDENT_KINDS
        from incidents.records import register_incidents
        from servicedesk import memo
        from servicedesk.reference import register_reference

        post_migrate.connect(_seed_after_migrate, sender=self)
        # What a create reads from each process's copy (servicedesk.memo).
        memo.watch(
            models.Category, models.RoutingRule, SupportGroup, models.ScaleLevel,
            models.ResolutionCodeOption, models.PriorityLevel, models.PriorityMatrixCell,
        )  # fmt: skip
        register_incidents()
        register_reference(*INCIDENT_KINDS)


def _seed_after_migrate(sender, **kwargs):
    """Tables emptied by a flush (as test runs do) get the default matrix back."""
    from django.apps import apps

    from incidents.defaults import seed_priority_defaults, seed_scale_defaults
    from incidents.levels import forget_levels
    from incidents.priority import forget_priority_data

    seed_priority_defaults(kwargs.get("apps") or apps)
    seed_scale_defaults(kwargs.get("apps") or apps)
    forget_priority_data()
    forget_levels()
