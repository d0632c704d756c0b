from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimekeepingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "timekeeping"
    verbose_name = _("Time tracking")

    def ready(self):
        from servicedesk.page_slots import register_panel
        from servicedesk.pages import register_comment_extra
        from transfer.exports import register_columns

        register_comment_extra("timekeeping.forms.CommentTimeForm")
        register_columns("timekeeping.exports.COLUMNS")
        register_panel(
            "comment_box",
            template="timekeeping/_comment_time.html",
            context="timekeeping.views.comment_box_context",
        )
        register_panel(
            "record_page",
            template="timekeeping/_record_panel.html",
            context="timekeeping.views.record_panel_context",
        )
        register_panel(
            "dashboard_tabs",
            template="timekeeping/_dashboard_tab.html",
            context="timekeeping.views.dashboard_tab_context",
        )
