"""/health/ reports the mailboxes whose last poll failed to connect (the page's status stays
"ok" for the database, cache and broker; it says "degraded" and names the mailbox)."""

from servicedesk.health import REPORTS


def mailbox_report() -> dict:
    """{"ok": bool, "failing": [{"mailbox", "error", "at"}]} from the mailboxes' last polls."""
    from inbound.models import Mailbox

    failing = [
        {"mailbox": name, "error": error, "at": at.isoformat() if at else None}
        for name, error, at in Mailbox.objects.filter(is_active=True)
        .exclude(last_error="")
        .order_by("name")
        .values_list("name", "last_error", "last_error_at")
    ]
    return {"ok": not failing, "failing": failing}


def register_health_report() -> None:
    REPORTS["mailboxes"] = mailbox_report
