from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowSunConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followsun"
    verbose_name = _("Follow the sun")

    def ready(self):
        from followsun import listeners
        from followsun.models import Chain, Desk
        from servicedesk import memo
        from servicedesk.announce import LISTENERS
        from servicedesk.page_slots import register_panel
        from servicedesk.selectors import QUEUE_ANNOTATORS

        # Before live/'s listener: a new record first goes to the desk open now, then live/'s
        # rule (its own after-commit step) picks the member of that desk.
        memo.watch(Chain, Desk)  # the active chains each process keeps (selectors.may_follow)
        if listeners.announced not in LISTENERS:
            LISTENERS.insert(0, listeners.announced)
        if listeners.queue_badges not in QUEUE_ANNOTATORS:
            QUEUE_ANNOTATORS.append(listeners.queue_badges)
        register_panel(
            "workspace_links",
            template="followsun/_workspace_links.html",
            context="followsun.selectors.workspace_links_context",
        )
