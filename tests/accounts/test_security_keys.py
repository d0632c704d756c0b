"""Security keys (WebAuthn) as a second factor: they count as two-factor being on, only their
owner removes them, the last way to give a required second factor stays, and turning
two-factor off removes them too. The ceremonies themselves run in the browser journey
(tests/browser/test_two_factor_journey.py, with Chromium's virtual authenticator)."""

import hashlib

import pytest
from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from accounts import mfa
from accounts.models import SecurityEvent
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def key_of(user, name="YubiKey"):
    credential_id = f"key-{user.pk}-{name}".encode()
    return WebAuthnCredential.objects.create(
        user=user, name=name, credential_id=credential_id, public_key=b"not used here",
        credential_id_sha256=hashlib.sha256(credential_id).hexdigest(), aaguid="",
    )  # fmt: skip


def sign_in_with(client, user, key):
    """Signed in, the second factor given with `key` (as the key's ceremony leaves it)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = key.persistent_id
    session.save()


def test_a_key_turns_two_factor_on_and_is_logged(agent):
    assert not mfa.two_factor_enabled(agent)
    key_of(agent)
    assert mfa.two_factor_enabled(agent) and not mfa.app_enabled(agent)
    event = SecurityEvent.objects.get(kind="two_factor_enabled", user=agent)
    assert event.detail == {"method": "security key", "name": "YubiKey"}


def test_only_the_owner_removes_a_key(client, agent, make_user):
    key = key_of(agent)
    other = make_user(Role.AGENT)
    sign_in_with(client, other, key_of(other, "Theirs"))
    assert client.post(f"/accounts/security/keys/{key.pk}/remove/").status_code == 404
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()

    spare = key_of(agent, "Spare key")
    sign_in_with(client, agent, spare)
    response = client.post(f"/accounts/security/keys/{key.pk}/remove/", follow=True)
    assert "The security key is removed." in response.content.decode()
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    assert SecurityEvent.objects.filter(kind="two_factor_disabled", user=agent).exists()


def test_the_last_second_factor_of_a_required_role_stays(client, agent, make_user):
    admin = make_user(Role.ADMINISTRATOR, is_staff=True)
    mfa.two_factor_requirement_set(
        role=Group.objects.get(name=Role.AGENT), required=True, actor=admin
    )
    first, second = key_of(agent, "Desk key"), key_of(agent, "Spare key")
    sign_in_with(client, agent, second)
    client.post(f"/accounts/security/keys/{first.pk}/remove/")

    response = client.post(f"/accounts/security/keys/{second.pk}/remove/", follow=True)

    assert "keep one way to give it" in response.content.decode()
    assert list(WebAuthnCredential.objects.filter(user=agent)) == [second]


def test_turning_two_factor_off_removes_the_keys(agent):
    key_of(agent)
    mfa.two_factor_disable(user=agent, actor=agent)
    assert not WebAuthnCredential.objects.filter(user=agent).exists()
    assert not mfa.two_factor_enabled(agent)
