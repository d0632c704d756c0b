from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Knowledge articles agents write and knowledge managers publish: the answers the portal
    offers before an incident is logged."""

    name = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self):
        from servicedesk.selectors import FILE_OWNERS

        # An article's files and images are downloaded by whoever may open the article.
        FILE_OWNERS["knowledge.article"] = "knowledge.selectors.articles_visible_to"
