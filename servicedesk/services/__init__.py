"""Writes shared by every record type. Record apps' services compose these inside their own
transaction (`transaction.atomic`), so a record change and its audit rows commit together.

- `records`: create, lock (with the version check), update and transition a record; comments,
  attachments, ratings, links and redaction on any record;
- `work`: working a record of any registered type: who may work it, assign and take, reply
  (with the SLA hook) and attach, each with its type's hooks from the registry.

Callers import from here (`from servicedesk import services as kernel`).
"""

from servicedesk.services.records import (
    R,
    attachment_add,
    attachment_redact,
    comment_add,
    comment_copy,
    comment_redact,
    ensure_can_redact,
    rating_give,
    record_create,
    record_link_add,
    record_link_remove,
    record_lock,
    record_rate,
    record_take_check,
    record_transition,
    record_update,
)
from servicedesk.services.reference import (
    ensure_can_write_reference,
    external_key_set,
    reference_by_external_id,
    reference_by_name,
    reference_create_many,
    reference_find,
    reference_put,
    reference_resolve,
)
from servicedesk.services.work import (
    ensure_can_work,
    ensure_not_final,
    is_member,
    record_assign,
    record_attach,
    record_comment,
    record_responded,
    record_take,
)

__all__ = [
    "R",
    "attachment_add",
    "attachment_redact",
    "comment_add",
    "comment_copy",
    "comment_redact",
    "ensure_can_redact",
    "ensure_can_work",
    "ensure_can_write_reference",
    "external_key_set",
    "ensure_not_final",
    "is_member",
    "rating_give",
    "record_assign",
    "record_attach",
    "record_comment",
    "record_create",
    "record_link_add",
    "record_link_remove",
    "record_lock",
    "record_rate",
    "record_responded",
    "record_take",
    "record_take_check",
    "record_transition",
    "record_update",
    "reference_by_external_id",
    "reference_by_name",
    "reference_find",
    "reference_put",
    "reference_create_many",
    "reference_resolve",
]
