"""The problem panel on the incident page (registered in ProblemsConfig.ready())."""

from problems.records import WORK
from problems.selectors import problems_of_incident


def incident_panel(request, incident) -> dict | None:
    """The problems that cause the incident (their known error and workaround first), for
    those who work problems; None (no panel) for anyone else."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm(WORK):
        return None
    problems = list(problems_of_incident(user=user, incident=incident))
    problems.sort(key=lambda problem: not problem.is_known_error)
    return {"incident_problems": problems, "panel_incident": incident}
