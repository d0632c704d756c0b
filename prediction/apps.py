from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PredictionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prediction"
    verbose_name = _("Breach prediction")

    def ready(self):
        from prediction.models import BreachModel
        from servicedesk import memo
        from servicedesk.page_slots import register_panel

        memo.watch(BreachModel)  # prediction.selectors.current_model

        register_panel(
            "record_page",
            template="prediction/_record_panel.html",
            context="prediction.selectors.record_panel_context",
        )
        register_panel(
            "sla_dashboard",
            template="prediction/_dashboard_panel.html",
            context="prediction.selectors.dashboard_panel_context",
        )
        register_panel(
            "workspace_links",
            template="prediction/_workspace_link.html",
            context="prediction.selectors.workspace_link_context",
        )
