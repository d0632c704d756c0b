from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service levels: business calendars, SLA policies, timers and escalations."""

    name = "sla"
    verbose_name = _("Service levels")
