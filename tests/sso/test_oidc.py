"""OpenID Connect sign-in against a real provider process (django-oauth-toolkit): people
matched or created by e-mail, their groups claim mapped, and every failure shown on our sign-in
page with nothing half-created."""

from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import time_machine
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role, user_roles
from accounts.security_models import SecurityEvent
from tests.factories import UserFactory
from tests.sso.conftest import OIDC_PROVIDER_ID, oidc_app, signed_in
from tests.sso.oidc_provider.serve import PASSWORD
from tests.sso.servers import free_port

pytestmark = pytest.mark.django_db

LOGIN_START = f"/sso/oidc/{OIDC_PROVIDER_ID}/login/"


def start(client):
    """Press "Sign in with Example ID": our desk answers with the provider's authorize URL."""
    response = client.post(LOGIN_START, {"process": "login"})
    assert response.status_code == 302, response
    return response


def sign_in_at_provider(authorize_url: str, username: str) -> str:
    """What a browser does at the provider: its sign-in form, then the authorisation, which
    sends the browser back to our callback. Returns that callback URL."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    login_url = urljoin(authorize_url, response.headers["Location"])
    browser.get(login_url, timeout=10)
    response = browser.post(
        login_url,
        {
            "username": username,
            "password": PASSWORD,
            "next": parse_qs(urlsplit(login_url).query)["next"][0],
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    response = browser.get(
        urljoin(login_url, response.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def come_back(client, callback_url):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", follow=True)


def oidc_sign_in(client, username):
    return come_back(client, sign_in_at_provider(start(client)["Location"], username))


def login_page_text(response):
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    return response.content.decode()


def test_the_sign_in_page_shows_the_provider_button(client, oidc):
    html = client.get("/accounts/login/").content.decode()

    assert "Sign in with Example ID" in html
    assert f'action="{LOGIN_START}"' in html


def test_no_button_without_a_provider(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    assert "Sign in with" not in client.get("/accounts/login/").content.decode()


def test_a_first_sign_in_creates_the_person_with_the_groups_claim_mapped(client, oidc, desk_team):
    response = oidc_sign_in(client, "alice")

    assert response.redirect_chain[-1][0] == "/workspace/"
    alice = User.objects.get(email="alice.agent@example.com")
    assert signed_in(client) == alice
    assert alice.full_name == "Alice Agent"
    assert user_roles(alice) == {Role.AGENT, Role.END_USER}
    assert list(alice.support_groups.all()) == [desk_team]
    assert not alice.has_usable_password()
    account = SocialAccount.objects.get(user=alice)
    assert account.provider == OIDC_PROVIDER_ID
    assert account.extra_data["userinfo"]["groups"] == ["desk-agents", "staff"]
    assert logged(alice.email) >= {"sso_account_created", "sso_roles_changed", "signed_in"}
    roles = SecurityEvent.objects.get(email=alice.email, kind="sso_roles_changed").detail
    assert Role.AGENT in roles["roles_added"] and roles["groups_joined"] == [desk_team.name]


def test_an_existing_person_is_matched_by_e_mail_and_their_managed_roles_follow_the_claim(
    client, oidc
):
    erin = UserFactory(email="erin@example.com", full_name="E. Enduser", role=Role.AGENT)
    erin.groups.add(Group.objects.get(name=Role.CAB_MEMBER))
    from sso.models import GroupMapping

    GroupMapping.objects.create(external_group="agents-elsewhere", role=Role.AGENT)

    response = oidc_sign_in(client, "erin")

    assert response.redirect_chain[-1][0] == "/workspace/"  # still a CAB member
    assert User.objects.filter(email__iexact="erin@example.com").count() == 1
    erin.refresh_from_db()
    assert signed_in(client) == erin
    assert erin.full_name == "Erin Enduser"
    # agent is managed by a mapping and erin's groups do not map to it; CAB member is not.
    assert user_roles(erin) == {Role.END_USER, Role.CAB_MEMBER}
    assert erin.has_usable_password()  # a local password she had is kept

    client.post("/accounts/logout/")
    oidc_sign_in(client, "erin")
    assert SocialAccount.objects.filter(user=erin).count() == 1


def test_a_person_without_an_e_mail_address_is_refused(client, oidc):
    html = login_page_text(oidc_sign_in(client, "nomail"))

    assert "has no e-mail address" in html
    refused = SecurityEvent.objects.get(kind="sso_refused")
    assert "has no e-mail address" in refused.detail["reason"] and refused.detail["source"]
    assert not signed_in(client).is_authenticated
    assert not User.objects.filter(full_name__icontains="Nomail").exists()
    assert not SocialAccount.objects.exists()


def test_groups_that_map_to_nothing_are_refused_without_a_default_role(client, oidc, settings):
    settings.SSO_DEFAULT_ROLE = ""

    html = login_page_text(oidc_sign_in(client, "vic"))

    assert "is in no group that may use the service desk" in html
    assert not User.objects.filter(email="vic@example.com").exists()
    assert not SocialAccount.objects.exists()


def test_groups_that_map_to_nothing_get_the_default_role(client, oidc):
    response = oidc_sign_in(client, "vic")

    assert response.redirect_chain[-1][0] == "/portal/"
    assert user_roles(User.objects.get(email="vic@example.com")) == {Role.END_USER}


def test_a_switched_off_account_is_refused(client, oidc):
    UserFactory(email="erin@example.com", is_active=False)

    html = login_page_text(oidc_sign_in(client, "erin"))

    assert "This account is switched off" in html
    assert not SocialAccount.objects.exists()
    assert logged("erin@example.com") == {"sso_refused"}


def test_an_id_token_for_another_audience_is_refused(client, oidc):
    html = login_page_text(oidc_sign_in(client, "stranger"))

    assert "cannot trust" in html
    assert not signed_in(client).is_authenticated
    assert not User.objects.filter(email="stranger@example.com").exists()
    assert "cannot trust" in SecurityEvent.objects.get(kind="sso_refused").detail["reason"]


def test_a_clock_skew_that_makes_the_id_token_expired_is_refused(client, oidc):
    callback = sign_in_at_provider(start(client)["Location"], "erin")

    with time_machine.travel(timedelta(minutes=5)):  # the provider's tokens live 2 minutes
        response = come_back(client, callback)

    assert "the clocks of the two servers disagree" in login_page_text(response)
    assert not User.objects.filter(email="erin@example.com").exists()


def test_a_provider_that_is_down_is_shown_on_the_sign_in_page(client, oidc, settings):
    down = f"http://127.0.0.1:{free_port()}/o"
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [oidc_app(down)]}}

    response = client.post(LOGIN_START, {"process": "login"}, follow=True)

    assert "Example ID did not answer" in login_page_text(response)
    assert "did not answer" in SecurityEvent.objects.get(kind="sso_refused").detail["reason"]


def test_a_provider_that_goes_down_during_the_sign_in_is_shown_too(client, oidc, settings):
    callback = sign_in_at_provider(start(client)["Location"], "erin")
    down = f"http://127.0.0.1:{free_port()}/o"
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [oidc_app(down)]}}

    response = come_back(client, callback)

    assert "Example ID did not answer" in login_page_text(response)
    assert not User.objects.filter(email="erin@example.com").exists()


def test_a_callback_without_a_code_or_with_a_forged_state_signs_nobody_in(client, oidc):
    start(client)
    response = client.get(
        f"/sso/oidc/{OIDC_PROVIDER_ID}/login/callback/?code=made-up&state=made-up", follow=True
    )

    assert "did not work" in login_page_text(response)
    assert not signed_in(client).is_authenticated


def test_a_get_of_the_start_address_goes_back_to_the_sign_in_page(client, oidc):
    response = client.get(LOGIN_START)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_the_button_posts_with_a_working_csrf_token(oidc):
    import re

    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    html = browser.get("/accounts/login/").content.decode()
    buttons = html[html.index('data-test="sso-buttons"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', buttons).group(1)

    refused = browser.post(LOGIN_START, {"process": "login"})
    response = browser.post(LOGIN_START, {"process": "login", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert response.status_code == 302
    assert response["Location"].startswith(f"{oidc}/o/authorize/")


def logged(email) -> set[str]:
    return set(SecurityEvent.objects.filter(email=email).values_list("kind", flat=True))
