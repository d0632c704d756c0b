from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management: root causes, known errors and workarounds."""

    name = "problems"
    verbose_name = _("Problems")

    def ready(self):
        from problems.records import register_problems
        from servicedesk.panels import RecordPanel, add_panel

        register_problems()
        # The incident page shows the problem that causes it, its known error and workaround.
        add_panel(
            "incident",
            RecordPanel(
                "problems/_incident_panel.html", context="problems.panels.incident_panel", order=10
            ),
        )
