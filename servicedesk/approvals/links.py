"""Signed approve/reject links for approvers' e-mails: they expire
(`APPROVAL_LINK_MAX_AGE_DAYS`), they work once (a decided approval refuses the link), and the
decision is recorded as the approver the link was made for.

The token is `"<approval id>:<approver id>"` signed with a timestamp under the salt the links
had when approvals belonged to the catalogue: approvals kept their ids when they moved into
the kernel, so links in e-mails sent before still work.
"""

from django.conf import settings
from django.core import signing

from servicedesk.models import Approval

SALT = "catalogue.approval-link"


def approval_token(approval: Approval) -> str:
    """The signed token of an approver's e-mail link."""
    return signing.TimestampSigner(salt=SALT).sign(f"{approval.pk}:{approval.approver_id}")


def approval_from_token(token: str) -> Approval:
    """The approval the token was made for, with its set, approver and record loaded.

    Raises signing.SignatureExpired for an old link, signing.BadSignature for a tampered one or
    one whose approval is gone.
    """
    value = signing.TimestampSigner(salt=SALT).unsign(
        token, max_age=settings.APPROVAL_LINK_MAX_AGE_DAYS * 86400
    )
    try:
        approval_id, approver_id = (int(part) for part in value.split(":"))
    except ValueError:
        raise signing.BadSignature("malformed approval token") from None
    approval = (
        Approval.objects.select_related("approval_set", "approver", "content_type")
        .filter(pk=approval_id, approver_id=approver_id)
        .first()
    )
    if approval is None or approval.record is None:
        raise signing.BadSignature("no such approval")
    return approval
