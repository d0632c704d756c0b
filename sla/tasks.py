from celery import shared_task

from sla import services


@shared_task
def sla_sweep_task() -> int:
    """Beat, every 30 s: breaches and escalations that are due. Safe to overlap."""
    return services.sweep()


@shared_task
def recompute_timers_task(*, calendar_id=None, policy_id=None, metric=None) -> int:
    """After an administrator edits a calendar, a policy or a rule: new due times and next
    moments for the open timers concerned."""
    return services.recompute_open_timers(
        calendar_id=calendar_id, policy_id=policy_id, metric=metric
    )
