from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "replies"
    verbose_name = _("Canned responses, macros and tags")

    def ready(self):
        from servicedesk.page_slots import register_panel
        from servicedesk.templatetags.servicedesk import AUDIT_FIELD_LABELS

        AUDIT_FIELD_LABELS.update(tags=_("tags"), macro=_("macro applied"))

        register_panel(
            "comment_box",
            template="replies/_comment_box.html",
            context="replies.selectors.comment_box_context",
        )
        register_panel(
            "record_page",
            template="replies/_record_panel.html",
            context="replies.selectors.record_panel_context",
            order=20,
        )
        register_panel(
            "workspace_links",
            template="replies/_workspace_link.html",
            context="replies.selectors.workspace_link_context",
        )
