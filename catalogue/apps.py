from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """Service catalogue: services, offerings, request items and service requests."""

    name = "catalogue"
    verbose_name = _("Service catalogue")

    def ready(self):
        from catalogue.api.reference import CATALOGUE_KINDS
        from catalogue.records import register_catalogue
        from servicedesk.events import FIELD_LABELS
        from servicedesk.page_slots import register_panel
        from servicedesk.reference import register_reference

        register_catalogue()
        register_reference(*CATALOGUE_KINDS)
        FIELD_LABELS["task"] = _("task")
        # Every record page (incidents, problems, changes...) shows its tasks and adds them.
        register_panel(
            "record_page",
            template="catalogue/_record_tasks.html",
            context="catalogue.views.tasks_panel",
            order=50,
        )
