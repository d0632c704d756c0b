from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    """The e-mail channel: mailboxes, intake of messages into records, threading of mail."""

    name = "inbound"
    verbose_name = _("E-mail channel")

    def ready(self):
        from inbound.emails import render_inbound_email
        from inbound.health import register_health_report
        from inbound.outgoing import register_outgoing
        from inbound.selectors import timeline_mail_annotate
        from servicedesk.notifications import register
        from servicedesk.page_slots import register_panel
        from servicedesk.templatetags.servicedesk import AUDIT_FIELD_LABELS

        AUDIT_FIELD_LABELS["watchers"] = _("watchers")
        from servicedesk.selectors import TIMELINE_ANNOTATORS

        register("inbound.inboundmessage", render_inbound_email)
        register_panel(
            "record_page",
            template="inbound/_watchers.html",
            context="inbound.selectors.watchers_panel_context",
            order=25,
        )
        register_panel(
            "portal_record",
            template="inbound/_portal_watchers.html",
            context="inbound.selectors.portal_watchers_context",
        )
        register_health_report()
        register_outgoing()
        if timeline_mail_annotate not in TIMELINE_ANNOTATORS:
            TIMELINE_ANNOTATORS.append(timeline_mail_annotate)
