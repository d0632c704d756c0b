"""The e-mail outbox's delivery: one mail-server connection per batch, claims that keep two
workers off the same rows, a failure that costs one notification (not the batch), and a backlog
that drains by itself. Against a real SMTP server (aiosmtpd)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from servicedesk import notifications
from servicedesk.models import Notification
from servicedesk.notifications import CLAIM_EXPIRES, MAX_ATTEMPTS, deliver_pending

KIND = "outbox-test"
FAILING = "failing@example.com"


def render(notification):
    for address in notification.addresses:
        if address == FAILING:
            raise ValueError("this one cannot be rendered")
        yield address, f"Note {notification.pk}", "Hello."


@pytest.fixture(autouse=True)
def renderer():
    notifications.register_kind(KIND, render)
    yield
    notifications.KIND_RENDERERS.pop(KIND, None)


def outbox(*addresses, **fields) -> list[Notification]:
    content_type = ContentType.objects.get_for_model(Notification)
    return Notification.objects.bulk_create(
        Notification(content_type=content_type, object_id=1, kind=KIND, addresses=[a], **fields)
        for a in addresses
    )


def recipients(smtp_server) -> list[str]:
    return [rcpt for envelope in smtp_server.messages for rcpt in envelope.rcpt_tos]


@pytest.mark.django_db
def test_a_batch_goes_out_over_one_connection(smtp_server):
    outbox(*(f"user{i}@example.com" for i in range(12)))

    assert deliver_pending(limit=50) == 12

    assert sorted(recipients(smtp_server)) == sorted(f"user{i}@example.com" for i in range(12))
    assert smtp_server.connections == 1
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_full_batch_asks_for_the_next_so_a_backlog_drains(smtp_server):
    outbox(*(f"user{i}@example.com" for i in range(7)))

    # Tasks run eagerly in tests: each full batch's request for more runs at once.
    assert deliver_pending(limit=3) == 3

    assert len(recipients(smtp_server)) == 7
    assert smtp_server.connections == 2  # this batch's, and the next run's (the other 4)
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_failing_notification_costs_only_itself(smtp_server):
    good, bad, later = outbox("a@example.com", FAILING, "b@example.com")

    assert deliver_pending() == 2

    assert sorted(recipients(smtp_server)) == ["a@example.com", "b@example.com"]
    bad.refresh_from_db()
    assert (bad.sent_at, bad.attempts, bad.claimed_at) == (None, 1, None)
    assert "cannot be rendered" in bad.last_error
    assert Notification.objects.get(pk=later.pk).sent_at is not None


@pytest.mark.django_db
def test_a_server_that_hangs_up_mid_batch_fails_one_and_the_rest_go_on_a_new_connection(
    smtp_server,
):
    smtp_server.drop_after = 2
    rows = outbox(*(f"user{i}@example.com" for i in range(5)))

    assert deliver_pending() == 4

    dropped = Notification.objects.get(pk=rows[2].pk)
    assert dropped.sent_at is None and dropped.attempts == 1
    assert smtp_server.connections == 2
    assert deliver_pending() == 1  # retried by the next run
    assert len(recipients(smtp_server)) == 5


@pytest.mark.django_db
def test_a_batch_another_worker_claimed_is_left_alone_until_the_claim_expires(smtp_server):
    now = timezone.now()
    (busy,) = outbox("busy@example.com", claimed_at=now)
    (abandoned,) = outbox("abandoned@example.com", claimed_at=now - CLAIM_EXPIRES - timedelta(1))

    assert deliver_pending() == 1

    assert recipients(smtp_server) == ["abandoned@example.com"]
    assert Notification.objects.get(pk=busy.pk).sent_at is None
    assert Notification.objects.get(pk=abandoned.pk).sent_at is not None


@pytest.mark.django_db
def test_a_mail_server_that_is_down_is_counted_on_each_row_and_then_given_up(settings):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    (row,) = outbox("x@example.com")

    for _ in range(MAX_ATTEMPTS + 1):
        assert deliver_pending() == 0

    row.refresh_from_db()
    assert (row.sent_at, row.attempts) == (None, MAX_ATTEMPTS)
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
