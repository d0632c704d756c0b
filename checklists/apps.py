from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    """Checklists on any record type, from templates an administrator keeps per record type
    and category; required items must be ticked before the record is resolved."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "checklists"
    verbose_name = _("Checklists")

    def ready(self):
        from checklists import services
        from checklists.models import ChecklistTemplate
        from servicedesk import memo
        from servicedesk.announce import LISTENERS
        from servicedesk.events import FIELD_LABELS
        from servicedesk.page_slots import register_panel
        from servicedesk.workflow import RECORD_GUARDS

        memo.watch(ChecklistTemplate)
        if services.checklists_announced not in LISTENERS:
            LISTENERS.append(services.checklists_announced)
        if services.required_items_guard not in RECORD_GUARDS:
            RECORD_GUARDS.append(services.required_items_guard)
        FIELD_LABELS["checklist"] = _("checklist")
        register_panel(
            "record_page",
            template="checklists/_record_checklists.html",
            context="checklists.selectors.record_panel_context",
            order=55,
        )
