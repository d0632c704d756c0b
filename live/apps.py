from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = _("Live work")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from live import listeners, services
        from live.models import GroupAssignment
        from servicedesk.announce import LISTENERS
        from servicedesk.page_slots import register_panel

        post_save.connect(listeners.saved, dispatch_uid="live.stamp_record")
        for signal in (post_save, post_delete):
            signal.connect(
                services.group_rule_saved, sender=GroupAssignment, dispatch_uid="live.group_rule"
            )
        if listeners.announced not in LISTENERS:
            LISTENERS.append(listeners.announced)
        register_panel(
            "record_page",
            template="live/_record_watch.html",
            context="live.selectors.record_watch_context",
            order=1,
        )
        register_panel(
            "workspace_links",
            template="live/_workspace_links.html",
            context="live.selectors.workspace_links_context",
        )
