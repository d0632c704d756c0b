from celery import shared_task


@shared_task(acks_late=True)
def run_import_task(job_id: int) -> int:
    """Run one stored import job (idempotent: a record already imported is never doubled)."""
    from transfer.services import import_run

    return import_run(job_id=job_id).records_written


@shared_task
def refresh_after_import_task(record_type: str) -> int:
    """Rebuild the dashboards' facts of a record type after an import (the imported months)."""
    from dashboards.facts import refresh

    return refresh(record_type, full=True)
