"""Celery tasks of the CMDB: ids in, a service does the work, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def compute_impact_proposal_task(proposal_id: int) -> None:
    from cmdb.services import impact_proposal_compute

    impact_proposal_compute(proposal_id=proposal_id)


@shared_task
def prune_graph_changes_task() -> int:
    from django.utils import timezone

    from cmdb.graph import prune_change_log

    return prune_change_log(now=timezone.now())
