"""Who hears about what happens to a request or a task (the e-mail outbox; see
`catalogue.emails` for the texts; the approvers' e-mails are the kernel's,
`servicedesk.approvals`)."""

from servicedesk.notifications import notify


def _group_contact(group):
    if group is None:
        return {}
    if group.email:
        return {"addresses": [group.email]}
    return {"user_ids": [group.lead_id]}


def request_logged(record) -> None:
    notify(record, "logged", user_ids=[record.requester_id])


def request_approved(record) -> None:
    notify(record, "approved", user_ids=[record.requester_id])


def request_rejected(record) -> None:
    notify(record, "rejected", user_ids=[record.requester_id])


def request_replied(record, comment) -> None:
    notify(record, "replied", user_ids=[record.requester_id], comment=comment)


def request_closed(record) -> None:
    notify(record, "closed", user_ids=[record.requester_id])


def task_opened(task) -> None:
    notify(task, "task_opened", **_group_contact(task.support_group))
