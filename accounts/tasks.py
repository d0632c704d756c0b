from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions_task():
    """Delete expired sessions so the session table does not grow without end."""
    call_command("clearsessions")
