"""A person's sessions (listed, signed out from elsewhere) and the security log's events."""

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import SecurityEvent, UserSession
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def kinds(**filters):
    return list(
        SecurityEvent.objects.filter(**filters).order_by("pk").values_list("kind", flat=True)
    )


def sign_in(email, agent="Firefox on a laptop"):
    browser = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR="192.0.2.7")
    response = browser.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_a_sign_in_is_logged_with_its_address_and_browser_and_listed_as_a_session(agent):
    browser = sign_in(agent.email)

    event = SecurityEvent.objects.get(kind="signed_in", user=agent)
    assert (event.email, event.ip_address, event.user_agent) == (
        agent.email,
        "192.0.2.7",
        "Firefox on a laptop",
    )
    page = browser.get("/accounts/sessions/")
    assert [row.user_agent for row in page.context["sessions"]] == ["Firefox on a laptop"]
    assert "This browser" in page.content.decode()


def test_a_session_signed_out_from_another_browser_is_signed_out(agent):
    laptop = sign_in(agent.email, "Laptop")
    phone = sign_in(agent.email, "Phone")
    phone_row = UserSession.objects.get(user=agent, user_agent="Phone")

    response = laptop.post(f"/accounts/sessions/{phone_row.pk}/revoke/", follow=True)

    assert "That session is signed out." in response.content.decode()
    assert phone.get("/workspace/").status_code == 302  # back to the sign-in page
    assert laptop.get("/workspace/").status_code == 200
    assert [s.user_agent for s in laptop.get("/accounts/sessions/").context["sessions"]] == [
        "Laptop"
    ]
    assert "session_revoked" in kinds(user=agent)


def test_sign_out_everywhere_else_keeps_this_browser(agent):
    laptop = sign_in(agent.email, "Laptop")
    others = [sign_in(agent.email, f"Other {n}") for n in range(2)]

    response = laptop.post("/accounts/sessions/others/revoke/", follow=True)

    assert "2 other sessions signed out." in response.content.decode()
    assert all(other.get("/workspace/").status_code == 302 for other in others)
    assert laptop.get("/workspace/").status_code == 200


def test_nobody_signs_out_another_person_s_session(agent, manager):
    sign_in(agent.email)
    row = UserSession.objects.get(user=agent)
    browser = sign_in(manager.email)

    assert browser.post(f"/accounts/sessions/{row.pk}/revoke/").status_code == 404
    assert UserSession.objects.filter(pk=row.pk).exists()


def test_signing_out_is_logged_and_drops_the_session_row(agent):
    browser = sign_in(agent.email)

    browser.post("/accounts/logout/")

    assert kinds(user=agent) == ["signed_in", "signed_out"]
    assert not UserSession.objects.filter(user=agent).exists()


def test_a_failed_sign_in_and_the_lock_out_are_logged_under_the_address_typed(client, agent):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": agent.email.upper(), "password": f"no-{n}"})

    failed = kinds(email=agent.email)
    assert failed.count("sign_in_failed") == settings.AXES_FAILURE_LIMIT
    assert "locked_out" in failed


def test_a_password_change_signs_out_the_other_sessions_and_keeps_this_one(agent):
    laptop = sign_in(agent.email, "Laptop")
    phone = sign_in(agent.email, "Phone")

    laptop.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-new-pass",
            "new_password2": "a-much-longer-new-pass",
        },
    )

    assert phone.get("/workspace/").status_code == 302
    assert laptop.get("/workspace/").status_code == 200
    rows = laptop.get("/accounts/sessions/").context["sessions"]
    assert [row.user_agent for row in rows] == ["Laptop"]


def test_expired_sessions_leave_the_list_with_the_beat_s_clean_up(agent):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from accounts.tasks import clear_expired_sessions_task

    sign_in(agent.email)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        clear_expired_sessions_task()

    assert not UserSession.objects.filter(user=agent).exists()
