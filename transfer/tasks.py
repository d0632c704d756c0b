from celery import shared_task


@shared_task(acks_late=True)
def run_import_task(job_id: int) -> int:
    """Run one stored import job (idempotent: a record already imported is never doubled)."""
    from transfer.services import import_run

    return import_run(job_id=job_id).records_written


@shared_task
def refresh_after_import_task(job_id: int) -> int | None:
    """Rebuild the dashboards' facts of one import's records and the months they fall in (a
    shortcut: the job says the refresh is owed, and the sweep below does it if no worker did)."""
    from transfer.services import import_refresh

    return import_refresh(job_id=job_id)


@shared_task
def refresh_after_imports_task() -> int:
    """Beat, every minute: the imports whose dashboards' refresh no worker did."""
    from transfer.services import import_refreshes_run

    return import_refreshes_run()
