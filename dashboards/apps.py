from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Manager dashboards and reports."""

    name = "dashboards"
    verbose_name = _("Dashboards")
