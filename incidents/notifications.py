"""Who hears about what happens to an incident. Each function queues one Celery task after the
transaction commits; the task renders the e-mail in each recipient's language."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def _queue(incident, kind: str, *, user_ids=(), addresses=(), comment=None) -> None:
    user_ids = [pk for pk in user_ids if pk]
    addresses = [a for a in addresses if a]
    if not user_ids and not addresses:
        return
    comment_id = comment.pk if comment is not None else None

    def send():
        from incidents.tasks import send_incident_email_task

        try:
            send_incident_email_task.delay(incident.pk, kind, user_ids, addresses, comment_id)
        except Exception:  # the broker is down: the incident is saved, only the e-mail is lost
            logger.exception("could not queue the %s e-mail for %s", kind, incident.number)

    transaction.on_commit(send)


def _owners(incident, *, exclude=None):
    """The assignee, or else the group (its e-mail address, or else its lead)."""
    if incident.assignee_id:
        return {"user_ids": [incident.assignee_id] if incident.assignee_id != exclude else []}
    group = incident.support_group
    if group is None:
        return {}
    if group.email:
        return {"addresses": [group.email]}
    return {"user_ids": [group.lead_id] if group.lead_id != exclude else []}


def incident_logged(incident) -> None:
    _queue(incident, "logged", user_ids=[incident.requester_id])


def incident_assigned(incident, *, actor) -> None:
    _queue(incident, "assigned", **_owners(incident, exclude=getattr(actor, "pk", None)))


def incident_replied(incident, comment) -> None:
    _queue(incident, "replied", user_ids=[incident.requester_id], comment=comment)


def incident_resolved(incident) -> None:
    _queue(incident, "resolved", user_ids=[incident.requester_id])


def requester_replied(incident, comment) -> None:
    _queue(incident, "requester_replied", comment=comment, **_owners(incident))
