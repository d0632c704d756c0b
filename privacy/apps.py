from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal data (export, anonymisation, retention) and the security log's pages. Above the
    kernel: it reads every record type through the registry and writes CSV through the kernel."""

    name = "privacy"
    verbose_name = _("Personal data and security log")
