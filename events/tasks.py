"""Thin tasks: ids in, the services do the work."""

from celery import shared_task

from events import services
from events.services import webhooks


@shared_task(name="events.tasks.process_events_task")
def process_events_task() -> int:
    """Process pending events until none is left (or another worker has them)."""
    total = 0
    while True:
        done = services.events_process_pending()
        total += done
        if done == 0:
            return total


@shared_task(name="events.tasks.events_sweep_task")
def events_sweep_task() -> int:
    """The beat's catch-up: held events that are stable, then whatever is pending."""
    services.events_release_held()
    return process_events_task()


@shared_task(name="events.tasks.prune_events_task")
def prune_events_task() -> int:
    return services.events_prune()


@shared_task(name="events.tasks.deliver_webhooks_task")
def deliver_webhooks_task(ids: list[int] | None = None) -> int:
    return webhooks.webhooks_deliver(ids=ids)
