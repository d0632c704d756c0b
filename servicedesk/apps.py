from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDeskConfig(AppConfig):
    """The shared kernel: base record, workflow, audit events, comments and attachments."""

    name = "servicedesk"
    verbose_name = _("Service desk kernel")
