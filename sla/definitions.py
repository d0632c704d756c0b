"""Writes of SLA definitions through the API: a calendar with its week and holidays, a policy
with its targets, an escalation rule. Each is validated whole and saved in one transaction, so a
bad week or a policy without targets leaves nothing half-saved; open timers that use what
changed are recomputed by a Celery task after the commit (as after an edit in the admin).

The recompute is first written down (`recompute_request`, a PendingRecompute row in the edit's
transaction); the task only takes a shortcut, and with the broker down the SLA sweep does it."""

from django.db import transaction
from django.db.models import F

from servicedesk.jobs import enqueue_on_commit
from sla.models import (
    Calendar,
    EscalationRule,
    Holiday,
    PendingRecompute,
    SlaPolicy,
    SlaTarget,
    WorkingHours,
)
from sla.tasks import recompute_timers_task


def recompute_request(*, calendar_id=None, policy_id=None, metric: str = "") -> PendingRecompute:
    """Record that the open timers of a calendar, a policy (or every policy: None) and
    optionally one metric must be recomputed, and ask a worker after the commit.

    Precondition: inside the transaction of the edit. The row commits with it; a broker that
    refuses the task loses nothing (the sweep runs what is pending).
    """
    pending = PendingRecompute.objects.create(
        calendar_id=calendar_id, policy_id=policy_id, metric=metric or ""
    )
    enqueue_on_commit(recompute_timers_task, pending.pk)
    return pending


@transaction.atomic
def calendar_save(*, calendar: Calendar, hours: list[dict], holidays: list[dict]) -> Calendar:
    """Save a calendar and replace its working hours and holidays (validated by the caller)."""
    is_new = calendar.pk is None
    calendar.save()
    calendar.hours.all().delete()
    calendar.holidays.all().delete()
    WorkingHours.objects.bulk_create(WorkingHours(calendar=calendar, **row) for row in hours)
    Holiday.objects.bulk_create(Holiday(calendar=calendar, **row) for row in holidays)
    if not is_new:
        Calendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1)
        calendar.refresh_from_db(fields=["version"])
        recompute_request(calendar_id=calendar.pk)
    return calendar


@transaction.atomic
def policy_save(*, policy: SlaPolicy, targets: list[dict]) -> SlaPolicy:
    """Save a policy and its targets: targets of a metric not listed any more are removed,
    unless timers ran on them (then the caller gets a ProtectedError)."""
    is_new = policy.pk is None
    if not is_new:
        policy.version = F("version") + 1
    policy.save()
    policy.refresh_from_db(fields=["version"])
    wanted = {row["metric"]: row for row in targets}
    policy.targets.exclude(metric__in=wanted).delete()
    for metric, row in wanted.items():
        SlaTarget.objects.update_or_create(
            policy=policy,
            metric=metric,
            defaults={"minutes": row["minutes"], "calendar": row["calendar"]},
        )
    if not is_new:
        recompute_request(policy_id=policy.pk)
    return policy


@transaction.atomic
def rule_save(*, rule: EscalationRule) -> EscalationRule:
    """Save an escalation rule; the open timers it applies to get their next moment again."""
    rule.save()
    recompute_for_rule(rule)
    return rule


def recompute_for_rule(rule: EscalationRule) -> PendingRecompute:
    """The open timers a rule applies to get their next moments again (see recompute_request)."""
    return recompute_request(policy_id=rule.policy_id, metric=rule.metric)
