from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """Service catalogue: services, offerings and service requests."""

    name = "catalogue"
    verbose_name = _("Service catalogue")
