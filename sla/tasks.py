from celery import shared_task

from sla import services


@shared_task
def sla_sweep_task() -> int:
    """Beat, every 30 s: first the timer recomputes still pending (their task lost with the
    broker), then the breaches and escalations that are due. Safe to overlap."""
    services.pending_recomputes_run()
    return services.sweep()


@shared_task
def recompute_timers_task(
    pending_id: int | None = None, *, calendar_id=None, policy_id=None, metric=None
) -> int | None:
    """After an administrator edits a calendar, a policy or a rule: new due times and next
    moments for the open timers concerned, as the edit's PendingRecompute row says. Messages
    queued before that row existed name the scope itself."""
    if pending_id is not None:
        return services.pending_recompute_run(pending_id=pending_id)
    return services.recompute_open_timers(
        calendar_id=calendar_id, policy_id=policy_id, metric=metric
    )
