"""The inbound endpoint, the pipe command, the mailbox API and the admin."""

import io
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from inbound import services
from inbound.crypto import decrypt
from inbound.models import InboundMessage, Mailbox
from incidents.models import Incident
from tests.inbound.conftest import corpus
from tests.incidents.factories import SupportGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(
        name="support", protocol="pipe", support_group=SupportGroupFactory()
    )


def test_the_endpoint_takes_a_raw_message_with_the_mailboxs_token(client, mailbox, admin_user):
    token = services.mailbox_token_rotate(mailbox=mailbox, actor=admin_user)
    url = reverse("inbound:message", args=["support"])
    raw = corpus("gmail_alternative_html.eml")

    response = client.post(
        url, raw, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    again = client.post(url, raw, content_type="message/rfc822", HTTP_X_MAILBOX_TOKEN=token)

    assert response.status_code == 201
    assert response.json()["status"] == "ticket"
    assert again.status_code == 201 and again.json()["id"] == response.json()["id"]
    assert Incident.objects.count() == 1


def test_the_endpoint_refuses_a_wrong_token_and_an_unknown_mailbox_alike(
    client, mailbox, admin_user
):
    services.mailbox_token_rotate(mailbox=mailbox, actor=admin_user)
    for name in ("support", "nope"):
        response = client.post(
            reverse("inbound:message", args=[name]),
            corpus("html_only.eml"),
            content_type="message/rfc822",
            HTTP_AUTHORIZATION="Bearer wrong",
        )
        assert response.status_code == 401
    assert not InboundMessage.objects.exists()


def test_only_the_hash_of_the_token_is_kept(mailbox, admin_user):
    token = services.mailbox_token_rotate(mailbox=mailbox, actor=admin_user)
    mailbox.refresh_from_db()
    assert token not in mailbox.token_hash and len(mailbox.token_hash) == 64


def test_the_pipe_command_reads_standard_input(mailbox, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(corpus("persian_windows1256.eml")))
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()
    call_command("inbound_email", "--mailbox", "support", stdout=out)
    incident = Incident.objects.get()
    assert incident.title == "چاپگر خراب است"
    assert out.getvalue().startswith("ticket INC")


def test_the_pipe_command_exits_67_for_an_unknown_mailbox(db):
    with pytest.raises(SystemExit) as exit_:
        call_command("inbound_email", "--mailbox", "nope")
    assert exit_.value.code == 67


def test_the_secret_is_encrypted_at_rest(mailbox):
    mailbox.secret = "hunter2"
    mailbox.save()
    stored = Mailbox.objects.values_list("secret_encrypted", flat=True).get()
    assert "hunter2" not in stored
    assert decrypt(stored) == "hunter2"


def test_the_api_lets_administrators_configure_mailboxes_and_never_returns_the_secret(
    client, admin_user
):
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/mailboxes/",
        {
            "name": "helpdesk",
            "protocol": "imap",
            "host": "imap.example.org",
            "username": "help@example.org",
            "secret": "s3cret",
            "security": "tls",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_secret"] is True
    assert "s3cret" not in response.content.decode()
    assert Mailbox.objects.get(name="helpdesk").secret == "s3cret"
    listed = client.get("/api/v1/mailboxes/").json()
    assert [m["name"] for m in listed] == ["helpdesk"]


def test_the_api_refuses_bad_input_with_field_errors(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/mailboxes/", {"name": "x", "protocol": "imap"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "host" in str(response.json())
    assert not Mailbox.objects.exists()


def test_the_api_is_for_administrators_only(client, make_user):
    client.force_login(make_user(Role.AGENT))
    assert client.get("/api/v1/mailboxes/").status_code == 403


def test_the_admin_shows_counts_and_never_the_secret(client, admin_user, mailbox):
    mailbox.secret = "hunter2"
    mailbox.save()
    services.message_receive(mailbox=mailbox, raw=corpus("html_only.eml"))
    client.force_login(admin_user)
    listing = client.get(reverse("admin:inbound_mailbox_changelist"))
    assert listing.status_code == 200
    change = client.get(reverse("admin:inbound_mailbox_change", args=[mailbox.pk]))
    assert change.status_code == 200
    assert "hunter2" not in change.content.decode()
    assert mailbox.secret_encrypted not in change.content.decode()


def test_the_admin_retries_failed_intake(client, admin_user, mailbox):
    mailbox.support_group = None
    mailbox.save()
    failed = services.message_receive(mailbox=mailbox, raw=corpus("html_only.eml"))
    assert failed.status == "failed"
    mailbox.support_group = SupportGroupFactory()
    mailbox.save()
    client.force_login(admin_user)
    listing = client.get(reverse("admin:inbound_inboundmessage_changelist") + "?status=failed")
    assert "Order form broken" in listing.content.decode()
    client.post(
        reverse("admin:inbound_inboundmessage_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == "ticket"
