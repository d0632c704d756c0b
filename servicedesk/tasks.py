from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "servicedesk:beat-heartbeat"


@shared_task
def record_heartbeat_task():
    """Beat runs this every minute; /health/ shows when it last ran."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@shared_task
def ping_task(value: str) -> dict:
    """Echo a value back with the worker's name: proves a worker takes and answers tasks."""
    return {"echo": value, "worker": ping_task.request.hostname}


@shared_task
def deliver_notifications_task() -> int:
    """Send what is waiting in the e-mail outbox (after each commit, and swept by beat)."""
    from servicedesk.notifications import deliver_pending

    return deliver_pending()
