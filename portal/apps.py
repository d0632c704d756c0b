from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The self-service portal for end users."""

    name = "portal"
    verbose_name = _("Self-service portal")
