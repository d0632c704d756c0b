"""Outgoing webhooks: record events (servicedesk/announce.py) become delivery rows in the
record's transaction; a worker posts them after the commit, signed, and retries with backoff.

Signature: `X-ServiceDesk-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the
subscription's secret>`; also `X-ServiceDesk-Event` (the kind) and `X-ServiceDesk-Delivery`
(the delivery's id, the same on every retry: receivers dedupe on it).
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.choices import DeliveryStatus, WebhookFormat, WebhookKind
from events.models import WebhookDelivery, WebhookSubscription
from servicedesk import registry
from servicedesk.actors import actor_required
from servicedesk.emails import record_url
from servicedesk.jobs import enqueue

logger = logging.getLogger(__name__)

# Slack and Teams get the notices people act on in chat, not every change.
CHAT_KINDS = {WebhookKind.SLA_BREACH, WebhookKind.MAJOR_INCIDENT}

_CACHE: dict[str, Any] = {"at": 0.0, "rows": None}
CACHE_SECONDS = 5.0


def _subscriptions() -> list[WebhookSubscription]:
    """The active subscriptions, read at most every CACHE_SECONDS per process (a write through
    the services clears it here at once; other processes see it within the interval)."""
    now = time.monotonic()
    if _CACHE["rows"] is None or now - _CACHE["at"] > CACHE_SECONDS:
        _CACHE["rows"] = list(WebhookSubscription.objects.filter(is_active=True))
        _CACHE["at"] = now
    return _CACHE["rows"]


def subscriptions_changed() -> None:
    _CACHE["rows"] = None


def subscription_check(*, url: str, kinds, record_types, filter, format: str) -> None:
    """Field errors for a subscription that could not work (ValidationError)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(kinds, list) or not kinds or set(kinds) - set(WebhookKind.values):
        errors["kinds"] = [_("Choose event kinds from: %s.") % ", ".join(WebhookKind.values)]
    known = {record_type.key for record_type in registry.all_types()}
    if not isinstance(record_types, list) or set(record_types) - known:
        errors["record_types"] = [_("Choose record types from: %s.") % ", ".join(sorted(known))]
    if not isinstance(filter, dict) or any(
        not isinstance(values, list) for values in filter.values()
    ):
        errors["filter"] = [_("An object of record fields and lists of values.")]
    if not str(url).startswith(("http://", "https://")):
        errors["url"] = [_("An http or https URL.")]
    if format not in WebhookFormat.values:
        errors["format"] = [_("Choose a format.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_save(*, actor: Any, subscription: WebhookSubscription) -> WebhookSubscription:
    """Create or update a subscription (administrators); re-enabling clears the failures."""
    actor_required(actor)
    if not actor.has_perm("events.change_webhooksubscription"):
        raise PermissionDenied(_("Only administrators manage webhooks."))
    subscription_check(url=subscription.url, kinds=subscription.kinds,
                       record_types=subscription.record_types, filter=subscription.filter,
                       format=subscription.format)  # fmt: skip
    if subscription.is_active:
        subscription.failures = 0
    subscription.save()
    transaction.on_commit(subscriptions_changed)
    subscriptions_changed()
    return subscription


def _matches(subscription: WebhookSubscription, record, record_type: str, kind: str) -> bool:
    if kind not in subscription.kinds:
        return False
    if subscription.record_types and record_type not in subscription.record_types:
        return False
    if subscription.format != WebhookFormat.JSON and kind not in CHAT_KINDS:
        return False
    for name, values in (subscription.filter or {}).items():
        value = (
            getattr(record, f"{name}_id", None)
            if hasattr(record, f"{name}_id")
            else (getattr(record, name, None))
        )
        if value not in values and str(value) not in [str(v) for v in values]:
            return False
    return True


def _payload(record, record_type, kind: str, actor, detail: dict) -> dict[str, Any]:
    try:
        url = record_url(record_type.detail_url_name, record.number)
    except Exception:  # noqa: BLE001 - a type without an agent page still gets its number out
        url = ""
    return {
        "kind": kind,
        "at": timezone.now().isoformat(),
        "record": {
            "type": record_type.key, "number": record.number, "title": record.title,
            "status": record.status, "priority": getattr(record, "priority", None),
            "major_incident": getattr(record, "major_incident", None), "url": url,
        },
        "actor": getattr(actor, "email", None),
        "detail": json.loads(json.dumps(detail, default=str)),
    }  # fmt: skip


def webhooks_announce(*, record, kind: str, actor, detail: dict) -> None:
    """The kernel's listener: a delivery row per matching subscription, sent after commit."""
    subscriptions = _subscriptions()
    if not subscriptions:
        return
    record_type = registry.for_model(type(record))
    if record_type is None:
        return
    rows = [
        WebhookDelivery(subscription=s, kind=kind,
                        payload=_payload(record, record_type, kind, actor, detail))
        for s in subscriptions if _matches(s, record, record_type.key, kind)
    ]  # fmt: skip
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in rows if row.pk]

    def send():
        from events.tasks import deliver_webhooks_task

        enqueue(deliver_webhooks_task, ids or None)

    transaction.on_commit(send)


def body_for(delivery: WebhookDelivery) -> bytes:
    """The bytes posted: the JSON payload, or a Slack / Teams incoming-webhook message."""
    payload = delivery.payload
    fmt = delivery.subscription.format
    if fmt == WebhookFormat.JSON:
        data: dict[str, Any] = {"id": delivery.pk, **payload}
    else:
        record = payload["record"]
        headline = {
            WebhookKind.SLA_BREACH: _("SLA breached: %(number)s %(title)s"),
            WebhookKind.MAJOR_INCIDENT: _("Major incident: %(number)s %(title)s"),
        }.get(payload["kind"], "%(number)s %(title)s") % record
        link = record.get("url") or ""
        if fmt == WebhookFormat.SLACK:
            data = {"text": f"{headline}" + (f" <{link}|{record['number']}>" if link else "")}
        else:
            data = {
                "@type": "MessageCard", "@context": "https://schema.org/extensions",
                "summary": headline, "themeColor": "D13438", "title": headline,
                "text": _("Status: %(status)s, priority %(priority)s") % record,
                "potentialAction": [{"@type": "OpenUri", "name": _("Open"),
                                     "targets": [{"os": "default", "uri": link}]}] if link else [],
            }  # fmt: skip
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    body = body_for(delivery)
    subscription = delivery.subscription
    headers = {
        "Content-Type": "application/json", "User-Agent": "ServiceDesk-Webhooks/1",
        "X-ServiceDesk-Event": delivery.kind, "X-ServiceDesk-Delivery": str(delivery.pk),
    }  # fmt: skip
    if subscription.secret:
        headers["X-ServiceDesk-Signature"] = signature(subscription.secret, body)
    request = urllib.request.Request(subscription.url, data=body, headers=headers, method="POST")  # noqa: S310 - admin-set http(s) URL
    try:
        with urllib.request.urlopen(request, timeout=settings.EVENTS_WEBHOOK_TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.read(2000).decode(errors="replace"), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(2000).decode(errors="replace"), f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, "", f"{type(error).__name__}: {error}"[:2000]


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4, 8 minutes... (EVENTS_WEBHOOK_BACKOFF_SECONDS doubled per attempt)."""
    return timedelta(seconds=settings.EVENTS_WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


def webhooks_deliver(*, ids: list[int] | None = None, now=None, limit: int = 100) -> int:
    """Send the due deliveries (or those named): rows taken with SKIP LOCKED, so two workers
    never send one twice. A 2xx is sent; anything else is counted, retried after `backoff`,
    failed after EVENTS_WEBHOOK_ATTEMPTS; a subscription with `max_failures` failures in a row
    is disabled. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        rows = WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=DeliveryStatus.PENDING, subscription__is_active=True
        )
        rows = rows.filter(pk__in=ids) if ids else rows.filter(next_attempt_at__lte=now)
        for delivery in rows.select_related("subscription").order_by("pk")[:limit]:
            status, body, error = _post(delivery)
            delivery.attempts += 1
            delivery.response_status, delivery.response_body, delivery.error = status, body, error
            subscription = delivery.subscription
            if status is not None and 200 <= status < 300:
                delivery.status, delivery.sent_at = DeliveryStatus.SENT, timezone.now()
                if subscription.failures:
                    WebhookSubscription.objects.filter(pk=subscription.pk).update(failures=0)
                sent += 1
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                if delivery.attempts >= settings.EVENTS_WEBHOOK_ATTEMPTS:
                    delivery.status = DeliveryStatus.FAILED
                _failed(subscription)
            delivery.save()
    return sent


def _failed(subscription: WebhookSubscription) -> None:
    subscription.refresh_from_db(fields=["failures", "max_failures", "is_active"])
    subscription.failures += 1
    if subscription.failures >= subscription.max_failures:
        subscription.is_active = False
        logger.warning("webhook %s disabled after %s failures", subscription.pk,
                       subscription.failures)  # fmt: skip
    subscription.save(update_fields=["failures", "is_active"])
    transaction.on_commit(subscriptions_changed)
