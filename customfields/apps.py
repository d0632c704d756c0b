from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomFieldsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customfields"
    verbose_name = _("Custom fields")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from customfields.models import CustomField
        from customfields.selectors import forget_definitions
        from servicedesk.page_slots import register_panel

        register_panel(
            "record_page",
            template="customfields/_record_panel.html",
            context="customfields.selectors.record_panel_context",
            order=40,
        )
        post_save.connect(forget_definitions, sender=CustomField, dispatch_uid="cf-saved")
        post_delete.connect(forget_definitions, sender=CustomField, dispatch_uid="cf-deleted")
