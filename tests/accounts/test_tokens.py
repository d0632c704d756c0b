"""Personal access tokens: made on the account page, shown once, scoped, expiring, revocable."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import AccessToken, SecurityEvent

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
INCIDENTS = "/api/v1/incidents/"


def make_token(user, scope="write", days=30):
    return tokens.token_create(
        user=user,
        actor=user,
        name=f"{scope} script",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )


def api_with(secret):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api


def test_the_tokens_page_makes_a_token_and_shows_its_secret_once(client, agent):
    client.force_login(agent)

    response = client.post(
        "/accounts/tokens/",
        {"name": "Monitoring", "scope": "read", "expires_in": "30"},
        follow=True,
    )

    secret = response.context["new_token"]["secret"]
    token = AccessToken.objects.get(user=agent)
    assert token.name == "Monitoring" and token.scope == "read"
    assert token.key_hash == tokens.token_hash(secret) and secret.startswith(token.prefix)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "Token “Monitoring” is made." in response.content.decode()
    assert secret not in client.get("/accounts/tokens/").content.decode()
    event = SecurityEvent.objects.get(kind="token_created", user=agent)
    assert event.detail["name"] == "Monitoring" and event.detail["scope"] == "read"


def test_a_token_without_a_name_is_refused_with_a_field_error(client, agent):
    client.force_login(agent)

    response = client.post("/accounts/tokens/", {"name": "  ", "scope": "write", "expires_in": "7"})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not AccessToken.objects.exists()


def test_the_service_refuses_a_past_or_too_distant_expiry(agent, settings):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as past:
        tokens.token_create(
            user=agent, actor=agent, name="x", scope="read", expires_at=timezone.now()
        )
    with pytest.raises(ValidationError) as far:
        tokens.token_create(
            user=agent,
            actor=agent,
            name="x",
            scope="read",
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_MAX_DAYS + 1),
        )
    assert "expires_at" in past.value.message_dict and "expires_at" in far.value.message_dict
    assert not AccessToken.objects.exists()


def test_a_read_token_reads_but_cannot_write(agent):
    _token, secret = make_token(agent, scope="read")
    api = api_with(secret)

    assert api.get(ME).status_code == 200
    for method in ("post", "patch", "delete"):
        response = getattr(api, method)(INCIDENTS, {}, format="json")
        assert response.status_code == 403, method
        assert response.json()["detail"].startswith("This token may only read")


def test_a_write_token_writes(agent):
    _token, secret = make_token(agent, scope="write")

    response = api_with(secret).post(INCIDENTS, {}, format="json")

    assert response.status_code == 400  # past authentication: the empty incident is refused


def test_an_expired_token_gets_401_and_is_logged(agent):
    token, secret = make_token(agent, days=7)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = api_with(secret).get(ME)

    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "This token has expired.", "errors": {}}
    assert SecurityEvent.objects.filter(kind="token_refused", user=agent).count() == 1


def test_a_revoked_token_gets_401(client, agent):
    token, secret = make_token(agent)
    assert api_with(secret).get(ME).status_code == 200
    client.force_login(agent)

    revoked = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    response = api_with(secret).get(ME)

    assert "is revoked" in revoked.content.decode()
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has been revoked."
    assert SecurityEvent.objects.filter(kind="token_revoked", user=agent).count() == 1


def test_nobody_revokes_another_person_s_token(client, agent, manager):
    token, secret = make_token(agent)
    client.force_login(manager)

    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert api_with(secret).get(ME).status_code == 200


def test_the_last_used_time_is_written_at_most_once_a_minute(agent, django_assert_num_queries):
    token, secret = make_token(agent)
    api = api_with(secret)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        api.get(ME)
        first = AccessToken.objects.get(pk=token.pk).last_used_at
        api.get(ME)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api.get(ME)
        assert AccessToken.objects.get(pk=token.pk).last_used_at == first
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api.get(ME)
        assert AccessToken.objects.get(pk=token.pk).last_used_at == start + timedelta(seconds=61)
    assert first == start


def test_a_known_token_costs_no_query_when_its_last_use_is_recent(agent, django_assert_num_queries):
    from rest_framework.test import APIRequestFactory

    token, secret = make_token(agent)
    api_with(secret).get(ME)  # writes last_used_at; this process now knows the token
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Token {secret}")

    with django_assert_num_queries(0):
        user, found = tokens.AccessTokenAuthentication().authenticate(request)
    assert user == agent and found == token
    with django_assert_num_queries(0):
        assert user.has_perm("incidents.work_incident")  # the permission set came with it


def test_a_token_revoked_by_another_process_is_refused_at_the_next_request(agent):
    """The revoke happens elsewhere: the row changes behind this process's back (no signal
    here) and the other process draws a new generation."""
    from django.core.cache import cache

    token, secret = make_token(agent)
    api = api_with(secret)
    assert api.get(ME).status_code == 200
    AccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    cache.set(tokens.GENERATION_KEY, "drawn by another process", timeout=None)

    response = api.get(ME)

    assert response.status_code == 401
    assert response.json()["detail"] == "This token has been revoked."


def test_every_token_revoked_at_once_is_refused_at_the_next_request(agent):
    _token, secret = make_token(agent)
    api = api_with(secret)
    assert api.get(ME).status_code == 200

    assert tokens.tokens_revoke_all(user=agent, actor=agent) == 1

    assert api.get(ME).status_code == 401


def test_a_known_token_of_a_person_switched_off_gets_401(agent):
    _token, secret = make_token(agent)
    api = api_with(secret)
    assert api.get(ME).status_code == 200
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    assert api.get(ME).status_code == 401


def test_a_known_token_s_owner_loses_a_permission_at_once(agent):
    from django.contrib.auth.models import Group

    _token, secret = make_token(agent)
    api = api_with(secret)
    assert api.get(INCIDENTS).status_code == 200
    for group in Group.objects.filter(user=agent):
        agent.groups.remove(group)

    request_user = tokens.AccessTokenAuthentication().authenticate_credentials(secret)[0]
    assert not request_user.has_perm("incidents.work_incident")


def test_a_switched_off_person_s_token_gets_401(agent):
    _token, secret = make_token(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    assert api_with(secret).get(ME).status_code == 401


@pytest.mark.django_db(transaction=True)  # SQLite alters tables only outside a transaction
def test_the_migration_turns_yesterday_s_drf_tokens_into_hashed_ones(agent):
    """A database that had rest_framework.authtoken: its plain-text key keeps working, hashed,
    and the plain-text table is emptied."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("accounts.migrations.0005_tokens_from_drf")
    key = "0123456789abcdef0123456789abcdef01234567"
    stamp = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created {stamp})"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, agent.pk, timezone.now()]
        )
    with connection.schema_editor() as editor:
        migration.forwards(apps, editor)

    token = AccessToken.objects.get(user=agent)
    assert token.key_hash == tokens.token_hash(key) and token.scope == "write"
    assert api_with(key).get(ME).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
        cursor.execute("DROP TABLE authtoken_token")
