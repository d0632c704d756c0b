"""Who hears about what happens to an incident. Each function writes into the e-mail outbox in
the caller's transaction; `incidents.emails` renders it in each recipient's language."""

from servicedesk.notifications import add_many, build, notify


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
    notify(incident, "logged", user_ids=[incident.requester_id])


def incident_assigned(incident, *, actor) -> None:
    notify(incident, "assigned", **_owners(incident, exclude=getattr(actor, "pk", None)))


def incident_created(incident, *, actor) -> None:
    """A new incident: the requester's acknowledgement and its owners' notice, in one INSERT."""
    rows = [
        build(incident, "logged", user_ids=[incident.requester_id]),
        build(incident, "assigned", **_owners(incident, exclude=getattr(actor, "pk", None))),
    ]
    add_many([row for row in rows if row is not None])


def incident_replied(incident, comment) -> None:
    notify(incident, "replied", user_ids=[incident.requester_id], comment=comment)


def incident_resolved(incident) -> None:
    notify(incident, "resolved", user_ids=[incident.requester_id])


def requester_replied(incident, comment) -> None:
    notify(incident, "requester_replied", comment=comment, **_owners(incident))
