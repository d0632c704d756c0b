"""The API's token exchange, who-am-I, and their protection against guessing."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AccessToken
from accounts.roles import Role
from accounts.tokens import token_hash
from tests.factories import PASSWORD, OrganisationFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
NO_MATCH = "That e-mail address and password do not match an account."


@pytest.fixture
def api():
    return APIClient()


def ask_for_token(api, email, password):
    return api.post(TOKEN_URL, {"email": email, "password": password}, format="json")


def test_right_e_mail_and_password_give_a_new_read_write_token(api, agent):
    response = ask_for_token(api, agent.email, PASSWORD)

    assert response.status_code == 200
    secret = response.json()["token"]
    token = AccessToken.objects.get(user=agent)
    assert token.key_hash == token_hash(secret) and token.scope == "write"
    assert secret not in {token.key_hash, token.prefix}  # only a hash is kept
    assert token.expires_at is not None


def test_asking_again_gives_another_token_and_both_work(api, agent):
    first = ask_for_token(api, agent.email, PASSWORD).json()["token"]
    second = ask_for_token(api, agent.email.upper(), PASSWORD).json()["token"]

    assert first != second
    assert AccessToken.objects.filter(user=agent).count() == 2
    for secret in (first, second):
        api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        assert api.get(ME_URL).status_code == 200


def test_wrong_password_is_a_400_in_the_api_error_shape(api, agent):
    response = ask_for_token(api, agent.email, "not-the-password")

    assert response.status_code == 400
    assert response.json() == {"detail": NO_MATCH, "errors": {}}
    assert not AccessToken.objects.filter(user=agent).exists()


def test_unknown_address_gets_the_same_answer_as_a_wrong_password(api):
    response = ask_for_token(api, "nobody@example.com", "whatever-it-is")

    assert response.status_code == 400
    assert response.json() == {"detail": NO_MATCH, "errors": {}}


def test_switched_off_account_gets_no_token(api, make_user):
    user = make_user(Role.AGENT, is_active=False)

    response = ask_for_token(api, user.email, PASSWORD)

    assert response.status_code == 400
    assert not AccessToken.objects.filter(user=user).exists()


def test_missing_fields_are_named_in_the_errors(api):
    response = api.post(TOKEN_URL, {"email": "not-an-address"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) == {"email", "password"}


def test_the_token_signs_in_to_me(api, make_user):
    organisation = OrganisationFactory(name="Northwind Trading", code="northwind")
    user = make_user(
        Role.AGENT,
        email="arash@example.com",
        full_name="Arash Rahimi",
        organisation=organisation,
        language="fa",
        time_zone="Asia/Tehran",
    )
    user.groups.add(Group.objects.get(name=Role.CAB_MEMBER))
    token = ask_for_token(api, user.email, PASSWORD).json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "arash@example.com",
        "full_name": "Arash Rahimi",
        "organisation": "Northwind Trading",
        "language": "fa",
        "time_zone": "Asia/Tehran",
        "roles": ["agent", "cab_member"],
    }


def test_me_of_an_end_user_without_organisation(api, make_user):
    user = make_user(Role.END_USER, organisation=None)
    token = ask_for_token(api, user.email, PASSWORD).json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = api.get(ME_URL).json()

    assert body["email"] == user.email
    assert body["organisation"] is None
    assert body["roles"] == ["end_user"]


def test_me_also_works_with_the_browser_session(client, manager):
    client.force_login(manager)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["roles"] == ["service_desk_manager"]


def test_me_without_a_token_is_refused(api):
    response = api.get(ME_URL)

    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"] == "Authentication credentials were not provided."


def test_me_with_a_made_up_token_is_refused(api, agent):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = api.get(ME_URL)

    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Invalid token.", "errors": {}}


def test_locked_out_account_cannot_get_a_token(api, agent):
    limit = settings.AXES_FAILURE_LIMIT
    earlier = [ask_for_token(api, agent.email, f"wrong-{n}").status_code for n in range(limit)]

    response = ask_for_token(api, agent.email, PASSWORD)

    assert earlier == [400] * (limit - 1) + [429]
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"].startswith("Too many failed sign-in attempts.")
    assert not AccessToken.objects.filter(user=agent).exists()


def test_failures_on_the_sign_in_page_lock_the_api_too(client, api, agent):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": agent.email, "password": f"wrong-{n}"})

    response = ask_for_token(api, agent.email.upper(), PASSWORD)

    assert response.status_code == 429
    assert not AccessToken.objects.filter(user=agent).exists()


def test_token_requests_are_rate_limited(api, agent, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})

    statuses = [ask_for_token(api, agent.email, PASSWORD).status_code for _ in range(3)]
    response = ask_for_token(api, agent.email, PASSWORD)

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "throttled" in body["detail"]
    assert int(response["Retry-After"]) > 0
