from celery import shared_task

from privacy.services import requesters_anonymise_expired
from servicedesk.actors import system_actor


@shared_task
def anonymise_expired_requesters_task():
    """The daily retention run (PERSONAL_DATA_RETENTION_MONTHS): idempotent, records already
    anonymised are skipped."""
    return requesters_anonymise_expired(actor=system_actor())
