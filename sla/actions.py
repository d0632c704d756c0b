"""What an escalation rule does when it fires. Runs inside the sweep's transaction, so the
firing row, the action and its e-mails commit together."""

from django.contrib.auth.models import Group

from servicedesk.notifications import notify
from sla.models import EscalationAction


def run(record, timer, rule) -> None:
    action = rule.action
    if action == EscalationAction.NOTIFY_ASSIGNEE:
        owner = record.assignee_id or (record.support_group and record.support_group.lead_id)
        notify(record, "sla_escalation", user_ids=[owner])
    elif action == EscalationAction.NOTIFY_GROUP_LEAD:
        lead = record.support_group.lead_id if record.support_group_id else None
        notify(record, "sla_escalation", user_ids=[lead])
    elif action == EscalationAction.NOTIFY_ROLE:
        group = Group.objects.filter(name=rule.role).first()
        people = group.user_set.filter(is_active=True) if group else []
        notify(record, "sla_escalation", user_ids=[person.pk for person in people])
    elif action == EscalationAction.NOTIFY_ADDRESSES:
        addresses = [line.strip() for line in rule.addresses.splitlines() if line.strip()]
        notify(record, "sla_escalation", addresses=addresses)
    elif record._meta.label != "incidents.Incident":
        return  # reassigning and raising the priority are incident actions
    elif action == EscalationAction.REASSIGN:
        from incidents import services

        if record.support_group_id != rule.support_group_id:
            services.incident_assign(
                incident_id=record.pk, actor=None, support_group=rule.support_group, assignee=None
            )
    elif action == EscalationAction.RAISE_PRIORITY:
        from incidents import services

        services.incident_raise_urgency(incident_id=record.pk, actor=None)
