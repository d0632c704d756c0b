from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Published knowledge articles: the answers the portal offers before an incident is logged."""

    name = "knowledge"
    verbose_name = _("Knowledge")
