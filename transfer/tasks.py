from celery import shared_task


@shared_task(acks_late=True)
def run_import_task(job_id: int) -> int:
    """Run one stored import job (idempotent: a record already imported is never doubled)."""
    from transfer.services import import_run

    return import_run(job_id=job_id).records_written


@shared_task
def refresh_after_import_task(record_type: str, ranges: list[list[int]]) -> int:
    """Rebuild the dashboards' facts of the imported records (ids in `ranges`, [first, last]
    pairs) and the months they fall in."""
    from dashboards.facts import refresh_records

    return refresh_records(record_type, [(first, last) for first, last in ranges])
