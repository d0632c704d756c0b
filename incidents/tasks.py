from celery import shared_task

from incidents import services


@shared_task
def close_resolved_incidents_task():
    """Beat, hourly: close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago."""
    return services.close_resolved_incidents()


@shared_task
def reprioritise_incidents_task(pending_id: int) -> int | None:
    """After the priority matrix or a level was edited: re-prioritise the open incidents."""
    from incidents.priority_data import pending_reprioritisation_run

    return pending_reprioritisation_run(pending_id=pending_id)


@shared_task
def reprioritise_pending_task() -> int:
    """Beat, every minute: re-prioritisations whose task was lost (the broker down)."""
    from incidents.priority_data import pending_reprioritisations_run

    return pending_reprioritisations_run()
