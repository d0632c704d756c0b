"""Two-factor sign-in: set-up with a QR code, codes at sign-in, recovery codes, required roles."""

import base64
import time

import pyotp
import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import SecurityEvent
from accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SETUP = "/accounts/security/two-factor/setup/"
VERIFY = "/accounts/two-factor/"


@pytest.fixture(autouse=True)
def _no_waiting(settings):
    """django-otp makes a person wait after a wrong code; these tests check the refusal, not
    the wait (test_wrong_codes_make_the_person_wait does)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def totp_for(user) -> pyotp.TOTP:
    device = TOTPDevice.objects.filter(user=user).latest("pk")
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def next_code(user) -> str:
    """A code the app shows in the next 30 seconds: accepted (django-otp allows one step of
    drift) and not the one just used (a used code never works twice)."""
    return totp_for(user).at(time.time() + 30)


def require_two_factor(role, admin):
    return mfa.two_factor_requirement_set(
        role=Group.objects.get(name=role), required=True, actor=admin
    )


def enable_two_factor(client, user) -> list[str]:
    client.get(SETUP)
    response = client.post(SETUP, {"code": totp_for(user).now()}, follow=True)
    assert response.status_code == 200
    return response.context["codes"]


def events(user, kind):
    return SecurityEvent.objects.filter(user=user, kind=kind)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, is_staff=True, full_name="Ada Admin")


def test_setup_shows_a_qr_code_drawn_by_the_app_and_the_typed_secret(client, agent):
    client.force_login(agent)

    page = client.get(SETUP)
    qr = client.get("/accounts/security/two-factor/qr.svg")

    assert page.status_code == 200
    secret = page.context["secret"].replace(" ", "")
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<?xml") and b"<svg" in qr.content
    assert b'src="/accounts/security/two-factor/qr.svg"' in page.content


def test_the_first_code_turns_two_factor_on_and_shows_recovery_codes_once(client, agent):
    client.force_login(agent)

    codes = enable_two_factor(client, agent)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=agent).confirmed
    assert StaticToken.objects.filter(device__user=agent).count() == 10
    assert events(agent, "two_factor_enabled").count() == 1
    again = client.get("/accounts/security/recovery-codes/")
    assert again.status_code == 302  # shown once
    assert client.get("/workspace/").status_code == 200  # this session is verified


def test_a_wrong_code_at_setup_is_refused_and_logged(client, agent):
    client.force_login(agent)
    client.get(SETUP)

    response = client.post(SETUP, {"code": "000000"})

    assert response.status_code == 200
    assert "That code is not right" in response.context["form"].errors["code"][0]
    assert not TOTPDevice.objects.get(user=agent).confirmed
    assert events(agent, "two_factor_failed").count() == 1


def test_after_the_password_a_person_with_two_factor_must_enter_a_code(client, agent, login):
    client.force_login(agent)
    enable_two_factor(client, agent)
    client.logout()

    response = login(agent.email, follow=False)
    assert response.status_code == 302
    blocked = client.get("/workspace/")

    assert blocked.status_code == 302 and blocked["Location"].startswith(VERIFY)
    assert client.get("/api/v1/me/").status_code == 403
    done = client.post(VERIFY + "?next=/workspace/", {"code": next_code(agent)})
    assert done.status_code == 302 and done["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200
    assert events(agent, "two_factor_verified").count() == 1


def test_a_wrong_code_at_sign_in_is_refused_and_logged(client, agent, login):
    client.force_login(agent)
    enable_two_factor(client, agent)
    client.logout()
    login(agent.email)

    response = client.post(VERIFY, {"code": "123456"})

    assert response.status_code == 200
    assert "That code is not right" in response.context["form"].errors["code"][0]
    assert client.get("/workspace/").status_code == 302
    failed = events(agent, "two_factor_failed").get()
    assert failed.email == agent.email


def test_wrong_codes_make_the_person_wait(client, agent, login, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    settings.OTP_STATIC_THROTTLE_FACTOR = 60
    client.force_login(agent)
    enable_two_factor(client, agent)
    client.logout()
    login(agent.email)
    client.post(VERIFY, {"code": "123456"})

    right_but_too_soon = client.post(VERIFY, {"code": next_code(agent)})

    assert "Too many wrong codes" in right_but_too_soon.context["form"].errors["code"][0]
    assert client.get("/workspace/").status_code == 302


def test_a_recovery_code_works_once(client, agent, login):
    client.force_login(agent)
    codes = enable_two_factor(client, agent)
    client.logout()

    login(agent.email)
    first = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert first.status_code == 200
    assert "9 left" in first.content.decode()
    assert client.get("/workspace/").status_code == 200
    client.logout()

    login(agent.email)
    second = client.post(VERIFY, {"code": codes[0]})
    assert "That code is not right" in second.context["form"].errors["code"][0]
    assert client.get("/workspace/").status_code == 302
    assert events(agent, "recovery_code_used").count() == 1
    assert StaticToken.objects.filter(device__user=agent).count() == 9


def test_new_recovery_codes_replace_the_old_ones(client, agent):
    client.force_login(agent)
    old = enable_two_factor(client, agent)

    response = client.post("/accounts/security/recovery-codes/new/", follow=True)

    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert set(
        StaticToken.objects.filter(device__user=agent).values_list("token", flat=True)
    ) == set(new)
    assert events(agent, "recovery_codes_created").count() == 1


def test_a_role_that_requires_two_factor_sends_its_staff_to_setup_first(
    client, agent, admin, login
):
    require_two_factor(Role.AGENT, admin)

    login(agent.email, follow=False)
    for path in ("/workspace/", "/incidents/", "/accounts/profile/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and "requires two-factor" in api.json()["detail"]

    setup = client.get(SETUP)
    assert setup.status_code == 200 and setup.context["required"]
    client.post(SETUP, {"code": totp_for(agent).now()})
    assert client.get("/workspace/").status_code == 200
    requirement = SecurityEvent.objects.get(kind="two_factor_requirement")
    assert requirement.actor == admin and requirement.detail == {"role": "agent", "required": True}


def test_a_pages_background_requests_are_refused_not_sent_to_setup(client, agent, admin, login):
    """The header's bell and the cards loaded after a page ask in the background: a redirect
    would put the whole set-up page inside the page that asked."""
    require_two_factor(Role.AGENT, admin)
    login(agent.email, follow=False)
    for headers in ({"HX-Request": "true"}, {"Sec-Fetch-Dest": "empty"}):
        response = client.get("/live/notifications/", headers=headers)
        assert response.status_code == 403 and response.content == b"", headers
    assert client.get("/live/notifications/")["Location"].startswith(SETUP)


def test_a_requirement_reaches_people_already_signed_in(client, agent, admin):
    client.force_login(agent)
    assert client.get("/workspace/").status_code == 200

    require_two_factor(Role.AGENT, admin)

    response = client.get("/workspace/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_other_roles_are_not_held(client, end_user, admin):
    require_two_factor(Role.AGENT, admin)
    client.force_login(end_user)

    assert client.get("/portal/").status_code == 200


def test_two_factor_cannot_be_turned_off_when_the_role_requires_it(client, agent, admin):
    client.force_login(agent)
    enable_two_factor(client, agent)
    require_two_factor(Role.AGENT, admin)

    response = client.post("/accounts/security/two-factor/off/", follow=True)

    assert "requires two-factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).exists()


def test_turning_two_factor_off_removes_the_devices_and_is_logged(client, agent, login):
    client.force_login(agent)
    enable_two_factor(client, agent)

    response = client.post("/accounts/security/two-factor/off/", follow=True)

    assert "Two-factor sign-in is off." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert events(agent, "two_factor_disabled").count() == 1
    client.logout()
    login(agent.email)
    assert client.get("/workspace/").status_code == 200


def test_the_api_password_exchange_asks_for_the_code(client, agent):
    from rest_framework.test import APIClient

    client.force_login(agent)
    enable_two_factor(client, agent)
    api = APIClient()
    url = "/api/v1/auth/token/"

    without = api.post(url, {"email": agent.email, "password": PASSWORD}, format="json")
    with_code = api.post(
        url, {"email": agent.email, "password": PASSWORD, "otp": next_code(agent)}, format="json"
    )

    assert without.status_code == 400 and "code" in without.json()["errors"]
    assert with_code.status_code == 200 and with_code.json()["token"].startswith("sdt_")


def test_the_api_password_exchange_refuses_a_required_role_without_two_factor(agent, admin):
    from rest_framework.test import APIClient

    require_two_factor(Role.AGENT, admin)

    response = APIClient().post(
        "/api/v1/auth/token/", {"email": agent.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 403
    assert "requires two-factor" in response.json()["detail"]


def test_an_administrator_sets_the_requirement_in_the_admin(client, admin):
    client.force_login(admin)
    group = Group.objects.get(name=Role.CHANGE_MANAGER)

    response = client.post(
        "/admin/accounts/twofactorrequirement/add/", {"role": group.pk, "required": "on"}
    )

    assert response.status_code == 302
    assert mfa.required_roles() == {group.pk}
    assert SecurityEvent.objects.filter(kind="two_factor_requirement", actor=admin).exists()
