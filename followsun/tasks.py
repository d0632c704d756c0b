from celery import shared_task

from followsun import services


@shared_task(acks_late=True)
def hand_over_desks_task() -> int:
    """Beat, every minute: the desks whose day ended hand over their open records, once per
    desk and closing (locked and unique: safe to run twice or on two workers)."""
    return len(services.handovers_due())
