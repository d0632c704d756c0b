"""The inbound endpoint: a mail server POSTs a raw RFC 822 message with the mailbox's token."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from inbound import services


def _token(request) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-Mailbox-Token", "").strip()


@csrf_exempt
@require_POST
def inbound_message(request, name):
    """201 with what the message became; 401 for a wrong token or mailbox (the same answer
    for both, so names cannot be probed); 400 for an empty body; 413 over the size limit
    (DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    mailbox = services.mailbox_by_token(name=name, token=_token(request))
    if mailbox is None:
        return JsonResponse(
            {"detail": _("Unknown mailbox or wrong token."), "errors": {}}, status=401
        )
    raw = request.body
    if not raw.strip():
        return JsonResponse(
            {"detail": _("The body must be the raw message."), "errors": {}}, status=400
        )
    message = services.message_receive(mailbox=mailbox, raw=raw)
    return JsonResponse(
        {
            "id": message.pk,
            "status": message.status,
            "record": message.record_number or None,
            "reason": message.reason,
        },
        status=201,
    )
