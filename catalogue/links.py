"""Signed approve/reject links for approvers' e-mails: they expire, and work once (a decided
approval refuses the link), and the decision is recorded as the approver the link was made for."""

from django.conf import settings
from django.core import signing

SALT = "catalogue.approval-link"


def approval_token(approval) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{approval.pk}:{approval.approver_id}")


def approval_from_token(token: str):
    """The approval the token was made for; raises signing.BadSignature (or SignatureExpired)."""
    from catalogue.models import Approval

    value = signing.TimestampSigner(salt=SALT).unsign(
        token, max_age=settings.APPROVAL_LINK_MAX_AGE_DAYS * 86400
    )
    approval_id, approver_id = (int(part) for part in value.split(":"))
    approval = (
        Approval.objects.select_related(
            "request", "request__item", "request__requester", "approver"
        )
        .filter(pk=approval_id, approver_id=approver_id)
        .first()
    )
    if approval is None:
        raise signing.BadSignature("no such approval")
    return approval
