"""Resetting a forgotten password by e-mail, and changing it from the profile."""

import re

import pytest
from django.conf import settings
from django.contrib import auth
from django.core import mail

from accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"
LINK = re.compile(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def ask_for_reset(client, email):
    return client.post("/accounts/password/reset/", {"email": email}, follow=True)


def link_in(message):
    match = LINK.search(message.body)
    assert match, f"no reset link in:\n{message.body}"
    return match.group(1)


def choose_new_password(client, link, password=NEW_PASSWORD):
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    return client.post(
        set_password_url,
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


def without_csrf_tokens(response):
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', r"\1", response.text)


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password}, follow=True)


def test_reset_sends_one_e_mail_with_a_link_to_the_person(client, make_user):
    user = make_user(Role.END_USER, email="emma@example.com", full_name="Emma Wilson")

    response = ask_for_reset(client, "emma@example.com")

    assert response.redirect_chain[-1][0] == "/accounts/password/reset/sent/"
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Choose a new Service Desk password"
    assert "Hello Emma Wilson," in message.body
    assert link_in(message)


def test_following_the_link_and_choosing_a_password_lets_the_person_sign_in(client, make_user):
    user = make_user(Role.END_USER, email="emma@example.com")
    ask_for_reset(client, user.email)

    response = choose_new_password(client, link_in(mail.outbox[0]))

    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Your password is changed. Sign in with the new one." in response.content.decode()
    assert sign_in(client, user.email, PASSWORD).redirect_chain == []  # the old one is gone
    signed_in = sign_in(client, user.email, NEW_PASSWORD)
    assert signed_in.redirect_chain[-1][0] == "/portal/"
    assert auth.get_user(client).pk == user.pk


def test_the_link_works_only_once(client, make_user):
    user = make_user(Role.END_USER)
    ask_for_reset(client, user.email)
    link = link_in(mail.outbox[0])
    choose_new_password(client, link)

    response = client.get(link, follow=True)

    assert response.context["validlink"] is False
    assert "This link has been used already or is too old." in response.content.decode()


def test_unknown_address_gets_the_same_answer_and_no_e_mail(client, make_user):
    make_user(Role.END_USER, email="emma@example.com")
    known = ask_for_reset(client, "emma@example.com")
    mail.outbox.clear()

    unknown = ask_for_reset(client, "nobody@example.com")

    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.status_code == known.status_code == 200
    assert without_csrf_tokens(unknown) == without_csrf_tokens(known)
    assert mail.outbox == []


def test_the_address_is_not_case_sensitive_for_a_reset(client, make_user):
    user = make_user(Role.END_USER, email="emma@example.com")

    ask_for_reset(client, "Emma@Example.COM")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_a_reset_lifts_a_lockout_as_the_lockout_message_promises(client, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user.email, f"wrong-{n}")
    assert sign_in(client, user.email, PASSWORD).status_code == 429

    ask_for_reset(client, user.email)
    choose_new_password(client, link_in(mail.outbox[0]))
    response = sign_in(client, "Agent@Example.com", NEW_PASSWORD)

    assert response.redirect_chain[-1][0] == "/workspace/"
    assert auth.get_user(client).pk == user.pk


def test_password_change_keeps_the_person_signed_in_and_takes_effect(client, make_user):
    user = make_user(Role.AGENT, email="agent@example.com")
    client.force_login(user)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert "Your password is changed." in response.content.decode()
    assert auth.get_user(client).pk == user.pk  # the session survived the change
    client.post("/accounts/logout/")
    assert sign_in(client, user.email, PASSWORD).redirect_chain == []
    assert sign_in(client, user.email, NEW_PASSWORD).redirect_chain[-1][0] == "/workspace/"


def test_password_change_needs_the_current_password(client, make_user):
    user = make_user(Role.AGENT)
    client.force_login(user)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": "a-guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_rejects_a_weak_password(client, make_user):
    user = make_user(Role.AGENT)
    client.force_login(user)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_needs_a_signed_in_person(client):
    response = client.get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password/change/"
