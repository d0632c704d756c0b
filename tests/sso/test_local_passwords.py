"""LOCAL_PASSWORDS_FOR_END_USERS: an organisation whose people sign in with its own accounts can
turn local passwords off for end users; staff keep theirs (a way in when the provider is down)."""

import pytest

from accounts.roles import Role
from tests.factories import PASSWORD
from tests.sso.conftest import signed_in

pytestmark = pytest.mark.django_db

REFUSED = "People of your organisation sign in with their organisation"


def test_end_users_may_use_their_local_password_by_default(client, sign_in, end_user):
    response = sign_in(end_user.email, PASSWORD)

    assert signed_in(client) == end_user
    assert response.redirect_chain[-1][0] == "/portal/"


def test_with_local_passwords_off_an_end_user_is_sent_to_the_provider_button(
    client, sign_in, end_user, settings
):
    settings.LOCAL_PASSWORDS_FOR_END_USERS = False

    response = sign_in(end_user.email, PASSWORD)

    assert REFUSED in response.content.decode()
    assert not signed_in(client).is_authenticated


@pytest.mark.parametrize("role", [Role.AGENT, Role.DESK_MANAGER, Role.CONFIGURATION_MANAGER])
def test_with_local_passwords_off_staff_still_sign_in_with_theirs(
    client, sign_in, make_user, settings, role
):
    settings.LOCAL_PASSWORDS_FOR_END_USERS = False
    person = make_user(role)

    sign_in(person.email, PASSWORD)

    assert signed_in(client) == person


def test_with_local_passwords_off_directory_end_users_still_sign_in(
    client, sign_in, directory, settings
):
    settings.LOCAL_PASSWORDS_FOR_END_USERS = False

    response = sign_in("eve@example.org", "eve-secret")

    assert signed_in(client).email == "eve@example.org"
    assert response.redirect_chain[-1][0] == "/portal/"


def test_a_wrong_password_still_gets_the_usual_message(client, sign_in, end_user, settings):
    settings.LOCAL_PASSWORDS_FOR_END_USERS = False

    response = sign_in(end_user.email, "wrong")

    html = response.content.decode()
    assert "do not match an account" in html
    assert REFUSED not in html
