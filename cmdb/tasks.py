"""Celery tasks of the CMDB: ids in, a service does the work, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def compute_impact_proposal_task(proposal_id: int) -> None:
    from cmdb.services import impact_proposal_compute

    impact_proposal_compute(proposal_id=proposal_id)
