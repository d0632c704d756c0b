from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Event management: monitoring alerts in, stored as events, turned into incidents by rules;
    outgoing webhooks for record events."""

    name = "events"
    verbose_name = _("Event management")

    def ready(self):
        from events.emails import RECOVERED_KIND, render_recovered_email
        from events.selectors import timeline_alert_annotate
        from events.services.webhooks import webhooks_announce
        from servicedesk.announce import LISTENERS
        from servicedesk.notifications import register_kind
        from servicedesk.selectors import TIMELINE_ANNOTATORS

        register_kind(RECOVERED_KIND, render_recovered_email)
        if timeline_alert_annotate not in TIMELINE_ANNOTATORS:
            TIMELINE_ANNOTATORS.append(timeline_alert_annotate)
        if webhooks_announce not in LISTENERS:
            LISTENERS.append(webhooks_announce)
