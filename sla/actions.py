"""What an escalation rule does when it fires. Runs inside the sweep's transaction, so the
firing row, the action and its e-mails commit together.

E-mails are not written here but added to the batch's `outbox` (a list of unsaved rows, plain
dicts, the sweep writes in one statement); the actions that change the record (reassign, raise
the priority) go through the record's own services, which write at once.
"""

from django.contrib.auth.models import Group

from servicedesk import registry
from servicedesk.actors import system_actor
from servicedesk.notifications import row
from sla.models import EscalationAction

# Actions that change the record through its services (and may be refused by its rules).
RECORD_ACTIONS = frozenset({EscalationAction.REASSIGN, EscalationAction.RAISE_PRIORITY})

KIND = "sla_escalation"


def run(record, timer, rule, outbox: list) -> None:
    action = rule.action
    if action == EscalationAction.NOTIFY_ASSIGNEE:
        owner = record.assignee_id or (record.support_group and record.support_group.lead_id)
        outbox.append(row(record, KIND, user_ids=[owner]))
    elif action == EscalationAction.NOTIFY_GROUP_LEAD:
        lead = record.support_group.lead_id if record.support_group_id else None
        outbox.append(row(record, KIND, user_ids=[lead]))
    elif action == EscalationAction.NOTIFY_ROLE:
        people = Group.objects.filter(name=rule.role, user__is_active=True)
        user_ids = list(people.values_list("user__id", flat=True))
        outbox.append(row(record, KIND, user_ids=user_ids))
    elif action == EscalationAction.NOTIFY_ADDRESSES:
        addresses = [line.strip() for line in rule.addresses.splitlines() if line.strip()]
        outbox.append(row(record, KIND, addresses=addresses))
    elif action == EscalationAction.REASSIGN:
        record_type = registry.for_model(record)
        if record_type is None or not record_type.has("assign"):
            return  # the record type is not reassigned by escalation
        if record.support_group_id != rule.support_group_id:
            record_type.call("assign")(
                record_id=record.pk,
                actor=system_actor(),
                support_group=rule.support_group,
                assignee=None,
            )
    elif action == EscalationAction.RAISE_PRIORITY:
        record_type = registry.for_model(record)
        if record_type is None or not record_type.has("raise_priority"):
            return  # the record type has no priority an escalation may raise
        record_type.call("raise_priority")(record_id=record.pk, actor=system_actor())
