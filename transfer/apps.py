from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    """Imports of records with their history from other desks, and exports."""

    name = "transfer"
    verbose_name = _("Import and export")
