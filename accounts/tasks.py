from celery import shared_task
from django.core.management import call_command

from accounts.sessions import sessions_clear_expired


@shared_task
def clear_expired_sessions_task():
    """Delete expired sessions (and their rows in the sessions list) so neither table grows
    without end."""
    call_command("clearsessions")
    sessions_clear_expired()
