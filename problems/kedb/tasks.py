from celery import shared_task


@shared_task
def find_problem_candidates_task() -> int:
    """Beat, hourly: look for clusters of recurring incidents and propose them as problem
    candidates (as the system actor). Idempotent: a run that finds the same groups changes
    nothing but when they were last seen."""
    from problems.kedb.services import candidates_refresh
    from servicedesk.actors import system_actor

    return len(candidates_refresh(actor=system_actor()))
