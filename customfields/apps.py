from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomFieldsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customfields"
    verbose_name = _("Custom fields")

    def ready(self):
        from customfields.models import CustomField
        from servicedesk import memo
        from servicedesk.page_slots import register_panel

        register_panel(
            "record_page",
            template="customfields/_record_panel.html",
            context="customfields.selectors.record_panel_context",
            order=40,
        )
        memo.watch(CustomField)  # the definitions each process keeps (selectors.definitions)
