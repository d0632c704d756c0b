from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """Service catalogue: services, offerings, request items and service requests."""

    name = "catalogue"
    verbose_name = _("Service catalogue")

    def ready(self):
        from catalogue.emails import render_request_email, render_task_email
        from servicedesk.notifications import register

        register("catalogue.servicerequest", render_request_email)
        register("catalogue.fulfilmenttask", render_task_email)
