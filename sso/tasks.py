from celery import shared_task

from servicedesk.actors import system_actor
from sso.services import directory_sync


@shared_task
def sync_directory_task():
    """The scheduled directory sync (beat, every LDAP_SYNC_MINUTES); nothing when no directory
    is configured."""
    from django.conf import settings

    if not settings.LDAP_SERVER_URI:
        return None
    run = directory_sync(actor=system_actor())
    return run.pk
