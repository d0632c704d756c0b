from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """Change management: requests for change, assessment, CAB approval, implementation and review."""

    name = "changes"
    verbose_name = _("Changes")

    def ready(self):
        from django.db.models.signals import post_migrate

        from changes.records import register_changes

        register_changes()
        from servicedesk.page_slots import register_panel

        register_panel(
            "sla_dashboard",
            template="changes/_dashboard_panel.html",
            context="changes.kpis.dashboard_panel_context",
            order=200,
        )
        post_migrate.connect(_seed_after_migrate, sender=self)


def _seed_after_migrate(sender, **kwargs):
    """Tables emptied by a flush (as test runs do) get the default thresholds and boards back."""
    from django.apps import apps

    from changes.defaults import seed_defaults

    apps = kwargs.get("apps") or apps
    try:
        threshold = apps.get_model("changes", "RiskThreshold")
        board = apps.get_model("changes", "ChangeBoard")
    except LookupError:  # migrating backwards, before the tables existed
        return
    seed_defaults(threshold, board)
