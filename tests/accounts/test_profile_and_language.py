"""The profile page (language, time zone, details) and switching the interface language."""

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.middleware import UserPreferencesMiddleware
from accounts.roles import Role
from accounts.services import user_update_preferences

pytestmark = pytest.mark.django_db

PROFILE_URL = "/accounts/profile/"
LANGUAGE_URL = "/accounts/language/"


def in_language(code, text):
    """`text` as the catalogue of `code` translates it; fails if it is not translated at all."""
    with translation.override(code):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no {code} translation"
    return translated


def html_tag(response):
    html = response.content.decode()
    return html[html.index("<html") : html.index(">", html.index("<html")) + 1]


def profile_data(user, **changes):
    data = {
        "full_name": user.full_name,
        "phone": user.phone,
        "job_title": user.job_title,
        "language": user.language,
        "time_zone": user.time_zone,
    }
    return {**data, **changes}


@pytest.fixture
def person(client, make_user):
    user = make_user(Role.AGENT, email="arash@example.com", full_name="Arash Rahimi")
    client.force_login(user)
    return user


# --- Profile ---------------------------------------------------------------------------------


def test_profile_needs_a_signed_in_person(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PROFILE_URL}"


def test_profile_shows_the_person_s_details(client, person):
    response = client.get(PROFILE_URL)

    html = response.content.decode()
    assert response.context["form"].instance == person
    assert "arash@example.com" in html
    assert 'value="Arash Rahimi"' in html
    assert '<option value="Asia/Tehran">' in html
    assert html_tag(response) == '<html lang="en" dir="ltr">'


def test_choosing_persian_and_tehran_saves_them_and_the_next_pages_are_persian(client, person):
    response = client.post(
        PROFILE_URL,
        profile_data(person, language="fa", time_zone="Asia/Tehran", phone="+98 21 1234 5678"),
        follow=True,
    )

    person.refresh_from_db()
    assert (person.language, person.time_zone, person.phone) == (
        "fa",
        "Asia/Tehran",
        "+98 21 1234 5678",
    )
    assert response.redirect_chain == [(PROFILE_URL, 302)]
    html = response.content.decode()
    assert in_language("fa", "Your profile is saved.") in html
    assert html_tag(response) == '<html lang="fa" dir="rtl">'
    assert in_language("fa", "Your profile") in html

    workspace = client.get("/workspace/")
    assert html_tag(workspace) == '<html lang="fa" dir="rtl">'
    assert in_language("fa", "Agent workspace") in workspace.content.decode()
    assert workspace["Content-Language"] == "fa"


def test_the_profile_language_wins_over_the_browser_s(client, person):
    user_update_preferences(user=person, actor=person, language="zh-hans")

    response = client.get("/workspace/", HTTP_ACCEPT_LANGUAGE="fa")

    assert html_tag(response) == '<html lang="zh-hans" dir="ltr">'
    assert in_language("zh-hans", "Agent workspace") in response.content.decode()


def test_without_a_profile_language_the_browser_s_is_used(client, person):
    assert person.language == ""

    response = client.get("/workspace/", HTTP_ACCEPT_LANGUAGE="fa")

    assert html_tag(response) == '<html lang="fa" dir="rtl">'


def test_unknown_time_zone_is_a_field_error_and_nothing_is_saved(client, person):
    response = client.post(
        PROFILE_URL,
        profile_data(person, full_name="Changed Name", language="fa", time_zone="Mars/Olympus"),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["time_zone"]
    assert "Mars/Olympus" in form.errors["time_zone"][0]
    assert 'class="field-error"' in response.content.decode()
    person.refresh_from_db()
    assert (person.full_name, person.language, person.time_zone) == ("Arash Rahimi", "", "UTC")


def test_full_name_is_required(client, person):
    response = client.post(PROFILE_URL, profile_data(person, full_name=""))

    assert response.status_code == 200
    assert "full_name" in response.context["form"].errors
    person.refresh_from_db()
    assert person.full_name == "Arash Rahimi"


def test_the_service_refuses_a_bad_time_zone_and_saves_nothing(make_user):
    user = make_user(Role.END_USER, full_name="Emma Wilson")

    with pytest.raises(ValidationError) as error:
        user_update_preferences(user=user, actor=user, full_name="Other", time_zone="Nowhere/City")

    assert "time_zone" in error.value.message_dict
    user.refresh_from_db()
    assert (user.full_name, user.time_zone) == ("Emma Wilson", "UTC")


def test_the_service_refuses_fields_people_may_not_edit_themselves(make_user):
    user = make_user(Role.END_USER)

    with pytest.raises(ValueError, match="is_staff"):
        user_update_preferences(user=user, actor=user, is_staff=True)

    user.refresh_from_db()
    assert user.is_staff is False


def test_middleware_activates_the_person_s_language_and_time_zone(make_user):
    user = make_user(Role.AGENT, language="fa", time_zone="Asia/Tehran")
    seen = {}

    def view(request):
        seen["language"] = translation.get_language()
        seen["request_language"] = request.LANGUAGE_CODE
        seen["time_zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    with translation.override("en"), timezone.override("UTC"):
        UserPreferencesMiddleware(view)(request)

    assert seen == {"language": "fa", "request_language": "fa", "time_zone": "Asia/Tehran"}


def test_middleware_falls_back_to_the_default_time_zone_for_a_broken_one(make_user, settings):
    user = make_user(Role.AGENT)
    type(user).objects.filter(pk=user.pk).update(time_zone="Not/AZone")
    user.refresh_from_db()
    seen = {}

    def view(request):
        seen["time_zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    with timezone.override("Asia/Tokyo"):
        UserPreferencesMiddleware(view)(request)

    assert seen["time_zone"] == settings.TIME_ZONE


# --- Switching language ----------------------------------------------------------------------


def test_anonymous_visitor_switches_to_persian(client):
    response = client.post(LANGUAGE_URL, {"language": "fa", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies["django_language"].value == "fa"
    login_page = client.get("/accounts/login/")
    assert html_tag(login_page) == '<html lang="fa" dir="rtl">'
    assert in_language("fa", "Sign in") in login_page.content.decode()


def test_signed_in_person_switches_language_and_it_is_remembered_in_the_profile(client, person):
    response = client.post(LANGUAGE_URL, {"language": "zh-hans", "next": "/workspace/"})

    assert response["Location"] == "/workspace/"
    person.refresh_from_db()
    assert person.language == "zh-hans"
    client.cookies.pop("django_language")  # the profile alone is enough
    page = client.get("/workspace/")
    assert html_tag(page) == '<html lang="zh-hans" dir="ltr">'
    assert in_language("zh-hans", "Agent workspace") in page.content.decode()


def test_switching_back_to_english(client, person):
    client.post(LANGUAGE_URL, {"language": "fa", "next": "/workspace/"})

    client.post(LANGUAGE_URL, {"language": "en", "next": "/workspace/"})

    person.refresh_from_db()
    assert person.language == "en"
    assert html_tag(client.get("/workspace/")) == '<html lang="en" dir="ltr">'


def test_unavailable_language_is_refused_with_a_message(client, person):
    response = client.post(LANGUAGE_URL, {"language": "xx", "next": "/workspace/"}, follow=True)

    assert response.redirect_chain == [("/workspace/", 302)]
    assert "That language is not available." in response.content.decode()
    assert "django_language" not in client.cookies
    person.refresh_from_db()
    assert person.language == ""


def test_switching_language_never_redirects_to_another_site(client):
    response = client.post(LANGUAGE_URL, {"language": "fa", "next": "https://evil.example.net/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switching_language_needs_a_post(client):
    assert client.get(LANGUAGE_URL, {"language": "fa"}).status_code == 405
