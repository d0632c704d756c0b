"""Thin Celery tasks of the e-mail channel: each calls a service."""

from celery import shared_task

from inbound import services


@shared_task(ignore_result=True)
def poll_mailboxes_task() -> int:
    """Beat: queue a poll of every mailbox whose interval has passed; process stuck messages."""
    from servicedesk.jobs import enqueue

    due = services.mailboxes_due()
    for mailbox_id in due:
        enqueue(poll_mailbox_task, mailbox_id)
    services.messages_process_stuck()
    return len(due)


@shared_task(ignore_result=True)
def poll_mailbox_task(mailbox_id: int) -> int | None:
    """Read one mailbox; a second worker on the same mailbox returns at once (its lease)."""
    return services.mailbox_poll(mailbox_id=mailbox_id)
