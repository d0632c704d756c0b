from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Incident management: register, respond, diagnose, resolve and close incidents."""

    name = "incidents"
    verbose_name = _("Incidents")
