"""Signing in on our own page by e-mail, the error for a wrong password, and throttling."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib import auth
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

WRONG_PASSWORD_MESSAGE = (
    "That e-mail address and password do not match an account. Check both and try again."
)
LOCKED_MESSAGE = "Too many failed sign-in attempts."

# role -> (where they land, text only that page shows)
HOME_BY_ROLE = {
    Role.END_USER: ("/portal/", "How can we help"),
    Role.AGENT: ("/workspace/", "Agent workspace"),
    Role.GROUP_LEAD: ("/workspace/", "Agent workspace"),
    Role.PROBLEM_MANAGER: ("/workspace/", "Agent workspace"),
    Role.CHANGE_MANAGER: ("/workspace/", "Agent workspace"),
    Role.CAB_MEMBER: ("/workspace/", "Agent workspace"),
    Role.CONFIGURATION_MANAGER: ("/cmdb/", "Configuration items"),
    Role.KNOWLEDGE_MANAGER: ("/knowledge/", "Knowledge articles"),
    Role.DESK_MANAGER: ("/dashboards/", "Service levels"),
    Role.ADMINISTRATOR: ("/admin/", "Site administration"),
}


def final_path(response):
    return response.redirect_chain[-1][0] if response.redirect_chain else None


def signed_in(client):
    return auth.get_user(client)


def test_sign_in_page_is_ours_and_asks_for_an_e_mail_address(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "accounts/login.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'type="email"' in html
    assert 'name="username"' in html
    assert "E-mail address" in html
    assert 'href="/accounts/password/reset/"' in html


@pytest.mark.parametrize("role", list(HOME_BY_ROLE))
def test_each_role_lands_on_its_own_home_page(client, login, make_user, role):
    extra = {"is_staff": True} if role == Role.ADMINISTRATOR else {}
    user = make_user(role, email=f"{role}@example.com", **extra)
    path, text = HOME_BY_ROLE[role]

    response = login(user.email, PASSWORD)

    assert final_path(response) == path
    assert response.status_code == 200
    assert text in response.content.decode()
    assert signed_in(client).pk == user.pk


def test_a_person_with_several_roles_lands_on_the_page_of_the_main_one(client, login, make_user):
    from django.contrib.auth.models import Group

    user = make_user(Role.END_USER, email="both@example.com")
    user.groups.add(Group.objects.get(name=Role.DESK_MANAGER))

    response = login(user.email)

    assert final_path(response) == "/dashboards/"


def test_administrator_who_may_not_use_the_admin_site_lands_on_the_portal(client, login, make_user):
    user = make_user(Role.ADMINISTRATOR, email="not-staff@example.com", is_staff=False)

    response = login(user.email)

    assert final_path(response) == "/portal/"
    assert response.status_code == 200


def test_sign_in_follows_a_safe_next_address(client, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")

    response = client.post(
        "/accounts/login/?next=/accounts/profile/",
        {"username": user.email, "password": PASSWORD, "next": "/accounts/profile/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


def test_sign_in_ignores_a_next_address_on_another_site(client, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")

    response = client.post(
        "/accounts/login/",
        {"username": user.email, "password": PASSWORD, "next": "https://evil.example.net/"},
    )

    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_wrong_password_shows_a_clear_message_and_stays_on_the_page(client, login, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")

    response = login(user.email, "not-the-password")

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert "accounts/login.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'data-test="login-error"' in html
    assert WRONG_PASSWORD_MESSAGE in html
    assert 'value="agent@example.com"' in html  # the address is kept, the password is not
    assert "not-the-password" not in html
    assert not signed_in(client).is_authenticated


def test_unknown_address_gets_the_same_message_as_a_wrong_password(client, login):
    response = login("nobody@example.com", "whatever-it-is")

    assert response.status_code == 200
    assert WRONG_PASSWORD_MESSAGE in response.content.decode()
    assert not signed_in(client).is_authenticated


def test_switched_off_account_cannot_sign_in(client, login, make_user):
    user = make_user(Role.AGENT, email="gone@example.com", is_active=False)

    response = login(user.email)

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert not signed_in(client).is_authenticated


def test_e_mail_address_is_not_case_sensitive(client, login, make_user):
    user = make_user(Role.AGENT, email="mixed.case@example.com")

    response = login("Mixed.Case@EXAMPLE.com")

    assert final_path(response) == "/workspace/"
    assert signed_in(client).pk == user.pk


def test_addresses_are_stored_in_lower_case():
    user = User.objects.create_user("New.Person@Example.COM", "pw-123-abc", full_name="New")

    assert user.email == "new.person@example.com"
    assert User.objects.get_by_natural_key("NEW.person@example.com") == user


def test_signed_in_person_visiting_the_sign_in_page_goes_home(client, make_user):
    client.force_login(make_user(Role.END_USER))

    response = client.get("/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_anonymous_home_goes_to_the_sign_in_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_signing_out_says_so_and_ends_the_session(client, make_user):
    client.force_login(make_user(Role.AGENT))

    response = client.post("/accounts/logout/", follow=True)

    assert final_path(response) == "/accounts/login/"
    assert "You have signed out." in response.content.decode()
    assert not signed_in(client).is_authenticated


# --- Throttling (django-axes) ----------------------------------------------------------------


def fail(login, email, times):
    return [login(email, f"wrong-{n}").status_code for n in range(times)]


def test_failure_limit_locks_the_address_out_even_with_the_right_password(client, login, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    limit = settings.AXES_FAILURE_LIMIT

    assert fail(login, user.email, limit - 1) == [200] * (limit - 1)
    last_failure = login(user.email, "wrong-again")
    right_password = login(user.email, PASSWORD)

    assert last_failure.status_code == 429
    assert right_password.status_code == 429
    assert not signed_in(client).is_authenticated
    html = right_password.content.decode()
    assert "accounts/login.html" in [t.name for t in right_password.templates]
    assert 'data-test="locked"' in html
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"{LOCKED_MESSAGE} Wait {minutes} minutes and try again, or reset your password." in html


def test_lockout_cannot_be_dodged_by_changing_the_letter_case(client, login, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    variants = ["Agent@example.com", "AGENT@example.com", "agent@EXAMPLE.com", "aGeNt@example.com"]

    for variant in variants[: settings.AXES_FAILURE_LIMIT]:
        login(variant, "wrong-password")
    response = login(variants[-1], PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client).is_authenticated
    assert user.email == "agent@example.com"


def test_lockout_is_per_account(client, login, make_user):
    locked = make_user(Role.AGENT, email="locked@example.com")
    other = make_user(Role.AGENT, email="other@example.com")
    fail(login, locked.email, settings.AXES_FAILURE_LIMIT)

    response = login(other.email)

    assert final_path(response) == "/workspace/"
    assert signed_in(client).pk == other.pk


def test_a_successful_sign_in_forgets_earlier_failures(client, login, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    limit = settings.AXES_FAILURE_LIMIT
    fail(login, user.email, limit - 1)
    assert login(user.email).status_code == 200
    client.post("/accounts/logout/")

    assert fail(login, user.email, limit - 1) == [200] * (limit - 1)
    assert final_path(login(user.email)) == "/workspace/"


def test_lockout_ends_after_the_cool_off_time(client, login, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    fail(login, user.email, settings.AXES_FAILURE_LIMIT)
    assert login(user.email).status_code == 429

    later = timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        response = login(user.email)

    assert final_path(response) == "/workspace/"
    assert signed_in(client).pk == user.pk


def test_the_admin_sign_in_page_shares_the_count_and_shows_our_lockout_page(client, make_user):
    user = make_user(Role.ADMINISTRATOR, email="admin@example.com", is_staff=True)
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "Admin@Example.com", "password": f"wrong-{n}"})

    admin_attempt = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    our_page_attempt = client.post(
        "/accounts/login/", {"username": user.email, "password": PASSWORD}
    )

    for response in (admin_attempt, our_page_attempt):
        assert response.status_code == 429
        assert "accounts/login.html" in [t.name for t in response.templates]
        assert LOCKED_MESSAGE in response.content.decode()
    assert not signed_in(client).is_authenticated
