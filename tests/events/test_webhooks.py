"""Outgoing webhooks against a real HTTP receiver (http.server in a thread): what is sent,
its signature, retries with backoff, the log, and disabling after N failures."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from events.choices import DeliveryStatus, WebhookFormat
from events.models import WebhookDelivery, WebhookSubscription
from events.services import webhooks
from incidents import services as incidents
from servicedesk.approvals.services import approvals_request  # noqa: F401 - the kind exists
from tests.factories import SupportGroupFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server: records every request; answers with `status` (settable)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})  # fmt: skip
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"nope")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def subscribe(admin_user):
    def make(url, **fields):
        subscription = WebhookSubscription(name=fields.pop("name", "hook"), url=url,
                                           kinds=fields.pop("kinds", ["created", "assigned"]),
                                           **fields)  # fmt: skip
        return webhooks.subscription_save(actor=admin_user, subscription=subscription)

    return make


def _log_incident(agent, **fields):
    group = SupportGroupFactory()
    group.members.add(agent)
    return incidents.incident_create(actor=agent, title="Printer on fire", impact="low",
                                     urgency="low", support_group=group, **fields)  # fmt: skip


def test_a_created_incident_is_posted_signed_after_commit(
    receiver, subscribe, agent, django_capture_on_commit_callbacks
):
    subscribe(f"{receiver.url}/hook", secret="shh", record_types=["incident"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        incident = _log_incident(agent)
        assert receiver.requests == []  # nothing is sent inside the write
    for callback in queued:
        callback()
    (request,) = receiver.requests
    body = json.loads(request["body"])
    assert body["kind"] == "created" and body["record"]["number"] == incident.number
    expected = "sha256=" + hmac.new(b"shh", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Servicedesk-Signature"] == expected
    assert request["headers"]["X-Servicedesk-Event"] == "created"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.response_status == 200


def test_the_filter_and_record_types_choose_what_is_sent(
    receiver, subscribe, agent, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, filter={"impact": ["high"]})
    subscribe(receiver.url, name="requests only", record_types=["request"])
    with django_capture_on_commit_callbacks(execute=True):
        _log_incident(agent)
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_create(actor=agent, title="Down", impact="high", urgency="high",
                                  support_group=SupportGroupFactory())  # fmt: skip
    assert len(receiver.requests) == 1


def test_failures_are_retried_with_backoff_and_disable_the_subscription(
    receiver, subscribe, agent, django_capture_on_commit_callbacks, settings
):
    settings.EVENTS_WEBHOOK_ATTEMPTS = 10
    receiver.status = 500
    subscription = subscribe(receiver.url, max_failures=3)
    with django_capture_on_commit_callbacks(execute=True):
        _log_incident(agent)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.status == DeliveryStatus.PENDING
    assert delivery.response_status == 500 and delivery.response_body == "nope"
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)
    assert webhooks.webhooks_deliver() == 0  # not due yet
    later = timezone.now() + timedelta(minutes=1)
    webhooks.webhooks_deliver(now=later)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - later == timedelta(seconds=60)  # doubled
    webhooks.webhooks_deliver(now=later + timedelta(minutes=5))
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.failures == 3
    assert len(receiver.requests) == 3


def test_slack_and_teams_get_major_incident_notices_only(
    receiver, subscribe, agent, django_capture_on_commit_callbacks
):
    subscribe(f"{receiver.url}/slack", format=WebhookFormat.SLACK,
              kinds=["created", "major_incident", "sla_breach"])  # fmt: skip
    subscribe(f"{receiver.url}/teams", format=WebhookFormat.TEAMS, kinds=["major_incident"])
    with django_capture_on_commit_callbacks(execute=True):
        incident = _log_incident(agent)
    assert receiver.requests == []  # a plain "created" is not a chat notice
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_update(incident_id=incident.pk, actor=agent,
                                  changes={"major_incident": True})  # fmt: skip
    by_path = {r["path"]: json.loads(r["body"]) for r in receiver.requests}
    assert by_path["/slack"]["text"].startswith(f"Major incident: {incident.number}")
    assert by_path["/teams"]["@type"] == "MessageCard"
    assert incident.number in by_path["/teams"]["title"]


def test_the_api_manages_subscriptions_and_shows_the_log(
    receiver, admin_user, agent, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    answer = client.post("/api/v1/webhooks/", {"name": "ops", "url": receiver.url,
                                               "kinds": ["created"], "secret": "k"},
                         content_type="application/json")  # fmt: skip
    assert answer.status_code == 201, answer.content
    assert "secret" not in answer.json()
    bad = client.post("/api/v1/webhooks/", {"name": "x", "url": receiver.url,
                                            "kinds": ["exploded"]},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "kinds" in bad.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        _log_incident(agent)
    pk = answer.json()["id"]
    log = client.get(f"/api/v1/webhooks/{pk}/deliveries/").json()
    assert log[0]["status"] == "sent" and log[0]["response_body"] == "ok"
    client.force_login(agent)
    assert client.get("/api/v1/webhooks/").status_code == 403
