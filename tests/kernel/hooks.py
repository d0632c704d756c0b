"""Record-type hooks for the kernel's tests: each call is kept in CALLS for the test to read."""

CALLS: list[tuple] = []


def assigned(record, *, actor, previous):
    CALLS.append(("assigned", record.number, actor.pk, previous))


def agent_replied(record, *, actor, comment):
    CALLS.append(("agent_reply", record.number, actor.pk, comment.pk))


def requester_replied(record, *, actor, comment):
    CALLS.append(("requester_reply", record.number, actor.pk, comment.pk))
