"""Writes of SLA definitions through the API: a calendar with its week and holidays, a policy
with its targets, an escalation rule. Each is validated whole and saved in one transaction, so a
bad week or a policy without targets leaves nothing half-saved; open timers that use what
changed are recomputed by a Celery task after the commit (as after an edit in the admin)."""

from django.db import transaction
from django.db.models import F

from sla.models import Calendar, EscalationRule, Holiday, SlaPolicy, SlaTarget, WorkingHours
from sla.tasks import recompute_timers_task


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
        transaction.on_commit(lambda: recompute_timers_task.delay(calendar_id=calendar.pk))
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
        transaction.on_commit(lambda: recompute_timers_task.delay(policy_id=policy.pk))
    return policy


@transaction.atomic
def rule_save(*, rule: EscalationRule) -> EscalationRule:
    """Save an escalation rule; the open timers it applies to get their next moment again."""
    rule.save()
    transaction.on_commit(lambda: recompute_for_rule(rule))
    return rule


def recompute_for_rule(rule: EscalationRule) -> None:
    recompute_timers_task.delay(policy_id=rule.policy_id, metric=rule.metric)
