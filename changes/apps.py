from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """Change management: requests for change, assessment, CAB approval, implementation and review."""

    name = "changes"
    verbose_name = _("Changes")

    def ready(self):
        from changes.records import register_changes

        register_changes()
