"""The e-mail an agent gets when monitoring says the alert of their incident recovered (the
incident stays theirs to resolve)."""

from servicedesk.emails import record_url, render_each

RECOVERED_KIND = "event_recovered"


def render_recovered_email(notification):
    from incidents.models import Incident

    incident = Incident.objects.get(pk=notification.object_id)

    def context_for(person, address):
        return {"incident": incident, "url": record_url("incidents:detail", incident.number)}

    return render_each(notification, templates="events/email", context_for=context_for)
