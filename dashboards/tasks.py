from celery import shared_task


@shared_task
def refresh_facts_task() -> dict:
    """Beat, every minute: the records changed since the last run get their fact rows rebuilt."""
    from dashboards.facts import refresh_all

    return refresh_all()


@shared_task
def send_reports_task() -> int:
    """Beat, hourly: each subscription's report for its last complete week or month, once."""
    from dashboards.reports import send_due_reports

    return send_due_reports()
