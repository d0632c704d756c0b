from celery import shared_task

from incidents import services


@shared_task
def close_resolved_incidents_task():
    """Beat, hourly: close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago."""
    return services.close_resolved_incidents()
