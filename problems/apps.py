from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management: root causes, known errors and workarounds."""

    name = "problems"
    verbose_name = _("Problems")

    def ready(self):
        from problems.records import register_problems

        register_problems()
