"""The known-error panel of the incident page (registered in ProblemsConfig.ready())."""

from problems.kedb import selectors


def incident_panel(request, incident) -> dict | None:
    """Known errors proposed for the incident's configuration item, service and title, each
    with its workaround and the button that applies it; None (no panel) for whoever does not
    read known errors."""
    user = getattr(request, "user", None)
    if user is None or not selectors.can_read_known_errors(user):
        return None
    # The page itself stays within its query budget: the card fills itself in after the page
    # has loaded (htmx, `incident_panel_matches`).
    return {"kedb_incident": incident, "kedb_deferred": True}


def incident_panel_matches(request, incident) -> dict:
    """The card's content: the matches, and which of their workarounds were applied."""
    user = request.user
    matches = selectors.known_errors_for_incident(user=user, incident=incident)
    return {
        "kedb_incident": incident,
        "kedb_matches": matches,
        "kedb_applied": selectors.workarounds_applied(incident) if matches else set(),
    }
