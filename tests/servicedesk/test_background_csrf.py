"""A page's background requests never send back a stale CSRF cookie (a fragment answered after
a sign-in rotated the secret would otherwise restore the old one, and the next form would fail)."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

SECRET = "a" * 32  # a valid CSRF secret's shape: 32 characters of the allowed alphabet


def login_page(client, **headers):
    return client.get(reverse("accounts:login"), headers=headers)


def test_a_background_request_does_not_send_the_cookie_it_was_given(client):
    client.cookies[settings.CSRF_COOKIE_NAME] = SECRET
    answer = login_page(client, sec_fetch_dest="empty")
    assert answer.status_code == 200 and "csrfmiddlewaretoken" in answer.content.decode()
    assert settings.CSRF_COOKIE_NAME not in answer.cookies


def test_a_page_still_renews_the_cookie(client):
    client.cookies[settings.CSRF_COOKIE_NAME] = SECRET
    answer = login_page(client, sec_fetch_dest="document")
    assert answer.cookies[settings.CSRF_COOKIE_NAME].value == SECRET


def test_a_background_request_without_a_cookie_gets_a_new_one(client):
    answer = login_page(client, sec_fetch_dest="empty")
    fresh = answer.cookies[settings.CSRF_COOKIE_NAME].value
    assert fresh and fresh != SECRET
