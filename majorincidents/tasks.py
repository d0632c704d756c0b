"""Beat task: remind the major incidents' owners that an update is due (once per due time)."""

from celery import shared_task

from majorincidents import services
from servicedesk.actors import system_actor


@shared_task(name="majorincidents.tasks.update_reminders_task")
def update_reminders_task() -> int:
    return services.reminders_send(actor=system_actor())
